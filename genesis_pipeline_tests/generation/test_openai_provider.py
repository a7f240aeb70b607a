"""The OpenAI provider against a local chat-completions server that plays canned answers."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from genesis_pipeline.domain.artifacts import Story
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.openai_provider import OpenAIGenerator
from genesis_pipeline.generation.port import (
    GenerationError,
    MalformedOutputError,
    Prompt,
    StageRequest,
    TransientGenerationError,
)

STORY: dict[str, Any] = {
    "title": "The Salt Clock",
    "logline": "A tidewatcher must stop the sea from keeping time.",
    "synopsis": "When the tides stop, Mara climbs the clock tower to learn why.",
    "tone": "wistful",
    "central_conflict": "Mara against the guild that profits from the stopped tides.",
    "themes": ["time", "duty"],
    "structure": [
        {"name": "Setup", "summary": "The tides stop."},
        {"name": "Confrontation", "summary": "Mara defies the guild."},
        {"name": "Resolution", "summary": "The sea keeps time again."},
    ],
}


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def completion(content: str, *, prompt_tokens: int = 100, completion_tokens: int = 50) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "served-model-7b",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body={"error": {"message": message}}, headers=headers or {})


class FakeChatServer:
    """Plays `replies` in order (the last one repeats) and records every request body."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                with server._lock:
                    server.requests.append(json.loads(self.rfile.read(length)))
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    reply = server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                assert self.path == "/v1/chat/completions"
                time.sleep(reply.delay_s)
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A client that timed out leaves a handler writing to a closed socket: not a failure.
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    thread = threading.Thread(target=fake.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


class RecordingRateLimiter:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, int]]] = []

    def acquire(self, *, tokens: int) -> None:
        self.calls.append(("acquire", {"tokens": tokens}))

    def settle(self, *, estimated: int, actual: int) -> None:
        self.calls.append(("settle", {"estimated": estimated, "actual": actual}))


def story_request() -> StageRequest:
    return StageRequest(
        session_id="salt-clock",
        stage=Stage.STORY,
        attempt=1,
        spec=SessionSpec(premise="The sea keeps time."),
        upstream={},
        prompt=Prompt(system="You plan novels.", user="Write the story.", version="story-v1"),
        output_model=Story,
    )


def generator(server: FakeChatServer, **overrides: Any) -> OpenAIGenerator:
    options: dict[str, Any] = {
        "base_url": server.base_url,
        "api_key": "sk-test",
        "model": "configured-model",
        "timeout_s": 5.0,
        "max_retries": 2,
    } | overrides
    return OpenAIGenerator(**options)


def test_a_valid_structured_answer_becomes_the_artifact(server: FakeChatServer) -> None:
    server.replies = [completion(json.dumps(STORY), prompt_tokens=120, completion_tokens=80)]
    limiter = RecordingRateLimiter()

    result = generator(server, rate_limiter=limiter).generate(story_request())

    assert result.artifact == Story.model_validate(STORY)
    assert (result.tokens_in, result.tokens_out) == (120, 80)
    assert result.model == "served-model-7b"
    assert result.extra == {"reasks": 0}
    assert result.latency_ms > 0
    sent = server.requests[0]
    assert sent["model"] == "configured-model"
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "story", "schema": Story.model_json_schema(), "strict": False},
    }
    system, user = sent["messages"]
    assert system["role"] == "system" and system["content"].startswith("You plan novels.")
    assert "JSON" in system["content"]
    assert user == {"role": "user", "content": "Write the story."}
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    estimate = limiter.calls[0][1]["tokens"]
    assert estimate > 1000
    assert limiter.calls == [
        ("acquire", {"tokens": estimate}),
        ("settle", {"estimated": estimate, "actual": 200}),
    ]


def test_markdown_fences_around_the_json_are_tolerated(server: FakeChatServer) -> None:
    server.replies = [completion(f"```json\n{json.dumps(STORY)}\n```")]
    assert generator(server).generate(story_request()).artifact.model_dump() == STORY


def test_a_malformed_answer_is_re_asked_once_with_the_problem(server: FakeChatServer) -> None:
    server.replies = [completion('{"title": "The Salt Clock", '), completion(json.dumps(STORY))]

    result = generator(server).generate(story_request())

    assert result.extra == {"reasks": 1}
    assert (result.tokens_in, result.tokens_out) == (200, 100)
    assert len(server.requests) == 2
    reask = server.requests[1]["messages"]
    assert reask[2] == {"role": "assistant", "content": '{"title": "The Salt Clock", '}
    assert reask[3]["role"] == "user"
    assert "not a valid Story" in reask[3]["content"]
    assert "JSON" in reask[3]["content"]


def test_an_answer_that_never_validates_fails_naming_the_field(server: FakeChatServer) -> None:
    too_short = {**STORY, "structure": STORY["structure"][:1]}
    server.replies = [completion(json.dumps(too_short))]

    with pytest.raises(MalformedOutputError) as caught:
        generator(server, malformed_retries=2).generate(story_request())

    assert len(server.requests) == 3
    assert "structure" in str(caught.value)
    assert "at least 3" in str(caught.value)
    assert not caught.value.retryable


def test_a_429_is_retried_after_the_servers_retry_after(server: FakeChatServer) -> None:
    server.replies = [
        error(429, "slow down", {"Retry-After": "1"}),
        completion(json.dumps(STORY)),
    ]
    started = time.monotonic()
    result = generator(server).generate(story_request())

    assert time.monotonic() - started >= 0.95
    assert result.artifact.model_dump() == STORY
    assert len(server.requests) == 2


def test_persistent_server_errors_are_transient(server: FakeChatServer) -> None:
    server.replies = [error(500, "model crashed")]

    with pytest.raises(TransientGenerationError, match="500") as caught:
        generator(server, max_retries=1).generate(story_request())

    assert caught.value.retryable
    assert len(server.requests) == 2


def test_a_rejected_api_key_is_permanent_and_not_retried(server: FakeChatServer) -> None:
    server.replies = [error(401, "invalid api key")]

    with pytest.raises(GenerationError, match="401") as caught:
        generator(server, max_retries=3).generate(story_request())

    assert not isinstance(caught.value, TransientGenerationError)
    assert not caught.value.retryable
    assert "API key" in str(caught.value)
    assert len(server.requests) == 1


def test_a_server_slower_than_the_timeout_is_transient(server: FakeChatServer) -> None:
    server.replies = [Reply(delay_s=2.0, body={})]
    started = time.monotonic()

    with pytest.raises(TransientGenerationError, match="no answer within"):
        generator(server, timeout_s=0.3, max_retries=0).generate(story_request())

    assert time.monotonic() - started < 1.5


def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = OpenAIGenerator(
        base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test", model="m", max_retries=0
    )
    with pytest.raises(TransientGenerationError, match="cannot connect"):
        unreachable.generate(story_request())
