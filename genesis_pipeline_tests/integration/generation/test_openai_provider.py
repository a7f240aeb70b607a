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

from genesis_pipeline.domain.artifacts import PlotOutline, Story
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
from genesis_pipeline.generation.schemas import answer_token_allowance, bounded_schema

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
    assert result.extra["reasks"] == 0
    [call] = result.calls
    assert (call["tokens_in"], call["tokens_out"], call["finish_reason"]) == (120, 80, "stop")
    assert result.latency_ms == call["latency_ms"] > 0
    sent = server.requests[0]
    assert sent["model"] == "configured-model"
    schema = bounded_schema(Story.model_json_schema())
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "story", "schema": schema, "strict": False},
    }
    assert sent["max_tokens"] == answer_token_allowance(schema)
    system, user = sent["messages"]
    assert system["role"] == "system" and system["content"].startswith("You plan novels.")
    assert "JSON" in system["content"]
    assert user == {"role": "user", "content": "Write the story."}
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    estimate = limiter.calls[0][1]["tokens"]
    assert estimate > sent["max_tokens"]
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

    assert result.extra["reasks"] == 1
    assert len(result.calls) == 2
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

    with pytest.raises(TransientGenerationError, match=r"no answer within 0\.3s"):
        generator(server, timeout_s=0.3, max_retries=0).generate(story_request())


def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = OpenAIGenerator(
        base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test", model="m", max_retries=0
    )
    with pytest.raises(TransientGenerationError, match="cannot connect"):
        unreachable.generate(story_request())


def test_json_object_style_sends_the_schema_for_a_grammar(server: FakeChatServer) -> None:
    server.replies = [completion(json.dumps(STORY))]

    generator(server, structured_output="json_object").generate(story_request())

    [sent] = server.requests
    assert sent["response_format"] == {
        "type": "json_object",
        "schema": bounded_schema(Story.model_json_schema()),
    }


def test_auto_falls_back_to_json_object_once_and_remembers(server: FakeChatServer) -> None:
    # What llama-cpp-python's server answers to `json_schema`.
    server.replies = [
        error(500, "Error code: 500 - response_format type json_schema is not supported"),
        completion(json.dumps(STORY)),
    ]
    chosen = generator(server, max_retries=0)

    chosen.generate(story_request())
    chosen.generate(story_request())

    styles = [sent["response_format"]["type"] for sent in server.requests]
    assert styles == ["json_schema", "json_object", "json_object"]


def test_a_server_error_unrelated_to_the_format_is_not_a_reason_to_switch(
    server: FakeChatServer,
) -> None:
    server.replies = [error(500, "model crashed")]

    with pytest.raises(TransientGenerationError):
        generator(server, max_retries=0).generate(story_request())

    assert [sent["response_format"]["type"] for sent in server.requests] == ["json_schema"]


def _act(number: int) -> dict[str, Any]:
    return {
        "chapters": [
            {
                "number": 1,
                "title": f"Chapter {c} of act {number}",
                "summary": "Mara climbs the tower.",
                "beats": [
                    {
                        "id": f"beat_{number}_{c}",
                        "summary": "Mara finds the stopped gears.",
                        "character_ids": ["char_mara"],
                        "location_id": "loc_tower",
                    }
                ],
            }
            for c in (1, 2)
        ]
    }


def test_the_plot_outline_is_asked_for_act_by_act(server: FakeChatServer) -> None:
    plan = {
        "acts": [
            {"number": n, "title": f"Act title {n}", "summary": f"What happens in act {n}."}
            for n in (1, 2, 3)
        ]
    }
    server.replies = [
        completion(json.dumps(plan)),
        *(completion(json.dumps(_act(n))) for n in (1, 2, 3)),
    ]
    request = StageRequest(
        session_id="salt-clock",
        stage=Stage.PLOT_OUTLINE,
        attempt=1,
        spec=SessionSpec(premise="The sea keeps time."),
        upstream={},
        prompt=Prompt(system="You plan novels.", user="Outline the plot.", version="plot-v1"),
        output_model=PlotOutline,
    )

    result = generator(server).generate(request)

    outline = result.artifact
    assert isinstance(outline, PlotOutline)
    assert [act.title for act in outline.acts] == ["Act title 1", "Act title 2", "Act title 3"]
    numbers = [chapter.number for act in outline.acts for chapter in act.chapters]
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert len({beat.id for beat in outline.beats()}) == 6
    assert len(result.calls) == 4
    assert (result.tokens_in, result.tokens_out) == (400, 200)
    act_prompts = [sent["messages"][1]["content"] for sent in server.requests[1:]]
    assert all("Act 3: Act title 3" in prompt for prompt in act_prompts)
    assert ["write act 1 only" in p for p in act_prompts] == [True, False, False]


def test_a_local_model_that_times_out_is_not_retried(server: FakeChatServer) -> None:
    server.replies = [Reply(delay_s=2.0, body={})]

    with pytest.raises(GenerationError, match="GENESIS_LLM_TIMEOUT_S") as caught:
        generator(server, timeout_s=0.3, max_retries=0, timeouts_are_transient=False).generate(
            story_request()
        )

    assert not caught.value.retryable


def test_the_answer_allowance_shrinks_to_what_the_context_leaves(server: FakeChatServer) -> None:
    server.replies = [completion(json.dumps(STORY))]
    allowance = answer_token_allowance(bounded_schema(Story.model_json_schema()))

    generator(server, context_tokens=allowance + 50).generate(story_request())

    assert allowance // 2 < server.requests[0]["max_tokens"] < allowance


def test_a_prompt_that_leaves_no_room_in_the_context_fails_clearly(server: FakeChatServer) -> None:
    with pytest.raises(GenerationError, match="GENESIS_LOCAL_CONTEXT_TOKENS") as caught:
        generator(server, context_tokens=300).generate(story_request())

    assert not caught.value.retryable
    assert server.requests == []


def test_a_judgement_is_one_more_bounded_call(server: FakeChatServer) -> None:
    answer = {
        "premise_fit": 0.25,
        "upstream_fit": 1.0,
        "reasons": "Set in a village, not Shanghai.",
    }
    server.replies = [completion(json.dumps(answer), prompt_tokens=90, completion_tokens=30)]

    judged = generator(server).judge(story_request(), system="You check drafts.", user="Draft: …")

    assert judged.judgement.premise_fit == 0.25
    assert judged.judgement.reasons.startswith("Set in a village")
    assert (judged.tokens_in, judged.tokens_out) == (90, 30)
    [call] = judged.calls
    assert call["purpose"] == "judge"
    schema = server.requests[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["premise_fit"]["enum"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert schema["properties"]["reasons"]["maxLength"] == 200


def test_a_raw_newline_inside_a_string_is_the_models_text_not_a_malformed_answer(
    server: FakeChatServer,
) -> None:
    # llama.cpp's JSON grammar allows control characters inside strings.
    with_newline = json.dumps(STORY).replace("Mara climbs", "Mara\\nclimbs").replace("\\n", "\n")
    server.replies = [completion(with_newline)]

    result = generator(server).generate(story_request())

    assert result.extra["reasks"] == 0
    assert "Mara\nclimbs" in result.artifact.model_dump()["synopsis"]


class BusyRateLimiter:
    def acquire(self, *, tokens: int) -> None:
        raise TimeoutError("1 request and 900 tokens would need 70.0s of waiting")

    def settle(self, *, estimated: int, actual: int) -> None:
        raise AssertionError("nothing was admitted, so nothing is settled")


def test_a_shared_limit_too_busy_to_wait_for_is_a_transient_error(server: FakeChatServer) -> None:
    with pytest.raises(TransientGenerationError, match="rate limit: 1 request") as caught:
        generator(server, rate_limiter=BusyRateLimiter()).generate(story_request())
    assert caught.value.retryable and server.requests == []
