"""The local provider's model server: the packaged model, and clear errors when it cannot start."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from genesis_pipeline.generation.local_model import (
    LocalModelError,
    LocalModelServer,
    default_model_path,
    resolve_model_path,
)
from genesis_pipeline.messaging.local_broker import answers


def test_the_default_model_ships_inside_an_installed_package() -> None:
    path = default_model_path()
    assert path.suffix == ".gguf"
    assert path.stat().st_size > 50_000_000  # the real weights, not a pointer file
    assert resolve_model_path("") == path


def test_a_configured_model_that_does_not_exist_is_named(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError, match=r"no GGUF model file at .*nothing\.gguf"):
        resolve_model_path(str(tmp_path / "nothing.gguf"))


def test_a_file_that_is_no_model_stops_the_server_with_its_log(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"not a gguf file at all")
    log = tmp_path / "server.log"

    with pytest.raises(LocalModelError, match="exited with code") as caught:
        LocalModelServer(fake, log=log).start(timeout=60)

    assert str(log) in str(caught.value)
    assert log.read_text(errors="replace").strip()


# Starts a server, keeps it busy with a long completion, and waits to be killed.
STARTER = """
import sys, threading, openai
from genesis_pipeline.generation.local_model import LocalModelServer, default_model_path
server = LocalModelServer(default_model_path(), context_tokens=2048).start()
client = openai.OpenAI(base_url=server.base_url, api_key="-", max_retries=0)
ask = lambda: client.chat.completions.create(
    model="m", messages=[{"role": "user", "content": "Tell a long story."}], max_tokens=1500
)
threading.Thread(target=ask, daemon=True).start()
print(server.base_url, flush=True)
sys.stdin.read()
"""


def test_a_killed_owner_takes_its_busy_model_server_with_it() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", STARTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    address = owner.stdout.readline().strip().removeprefix("http://").removesuffix("/v1")
    assert answers(address)
    time.sleep(1)  # the completion is under way

    owner.kill()  # no chance to stop the server itself
    owner.wait()

    deadline = time.monotonic() + 20
    while answers(address) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not answers(address)
