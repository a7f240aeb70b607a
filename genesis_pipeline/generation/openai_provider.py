"""A generator for any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama, llama.cpp).

Transport faults are retried by the SDK itself (with backoff that honours `Retry-After`);
this module only re-asks when the model answered with something that is not a valid
artifact, and turns what is left into the port's error types.
"""

import json
import re
import time
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import ValidationError

from genesis_pipeline.domain.artifacts import Artifact, PlotOutline
from genesis_pipeline.domain.verdicts import RelevanceJudgement
from genesis_pipeline.generation.plot_by_act import write_plot_by_act
from genesis_pipeline.generation.port import (
    CallRecord,
    Generation,
    GenerationError,
    Judged,
    MalformedOutputError,
    ModelT,
    RateLimiter,
    StageRequest,
    TransientGenerationError,
    model_call,
)
from genesis_pipeline.generation.schemas import (
    answer_token_allowance,
    bounded_schema,
    schema_outline,
)

STRUCTURED_OUTPUT_STYLES = ("auto", "json_schema", "json_object")
# Counted low on purpose: a prompt estimated too short could overflow the context.
PROMPT_CHARACTERS_PER_TOKEN = 3
_FENCED = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.DOTALL)
_PERMANENT_HINTS = {
    400: "the server rejected the request",
    401: "check the API key",
    403: "the API key may not use this model",
    404: "check base_url and the model name",
}


class OpenAIGenerator:
    """Writes a stage's artifact with chat completions, re-asking while it does not validate.

    Every answer is bounded (bounded schema, `max_tokens` sized from it) so constrained
    decoding always finishes; the plot outline, too long for one answer of a small model, is
    asked for act by act (`plot_by_act.py`).
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        malformed_retries: int = 2,
        rate_limiter: RateLimiter | None = None,
        temperature: float = 0.7,
        structured_output: str = "auto",
        timeouts_are_transient: bool = True,
        context_tokens: int | None = None,
    ) -> None:
        self._base_url = base_url
        self._api_key = api_key
        self._model = model
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._malformed_retries = malformed_retries
        self._rate_limiter = rate_limiter
        self._temperature = temperature
        if structured_output not in STRUCTURED_OUTPUT_STYLES:
            raise ValueError(f"structured_output must be one of {STRUCTURED_OUTPUT_STYLES}")
        self._structured_output = structured_output
        self._timeouts_are_transient = timeouts_are_transient
        self._context_tokens = context_tokens
        self._client: openai.OpenAI | None = None

    def generate(self, request: StageRequest) -> Generation:
        calls = CallLog()

        def ask(output_model: type[ModelT], *, user: str) -> ModelT:
            return self._answer(
                request, output_model, system=request.prompt.system, user=user, calls=calls
            )

        artifact: Artifact = (
            write_plot_by_act(request, ask)
            if request.output_model is PlotOutline
            else ask(request.output_model, user=request.prompt.user)
        )
        return Generation(
            artifact=artifact,
            model=calls.served_by or self._model,
            tokens_in=calls.tokens_in,
            tokens_out=calls.tokens_out,
            latency_ms=calls.latency_ms,
            extra={"reasks": calls.reasks},
            calls=tuple(calls.as_metadata()),
        )

    def judge(self, request: StageRequest, *, system: str, user: str) -> Judged:
        calls = CallLog(purpose="judge")
        judgement = self._answer(request, RelevanceJudgement, system=system, user=user, calls=calls)
        return Judged(
            judgement=judgement,
            model=calls.served_by or self._model,
            tokens_in=calls.tokens_in,
            tokens_out=calls.tokens_out,
            latency_ms=calls.latency_ms,
            calls=tuple(calls.as_metadata()),
        )

    def _answer(
        self,
        request: StageRequest,
        output_model: type[ModelT],
        *,
        system: str,
        user: str,
        calls: "CallLog",
    ) -> ModelT:
        """One artifact of `output_model`, re-asking with the problem while it does not parse."""
        model_name = output_model.__name__
        schema = bounded_schema(output_model.model_json_schema())
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": _system_message(system, schema)},
            {"role": "user", "content": user},
        ]
        # Each attempt of a stage samples differently; the same attempt repeats itself.
        seed = int(request.determinism_key[:8], 16)
        problem = ""
        for reasks in range(self._malformed_retries + 1):
            max_tokens = self._room_for_answer(messages, answer_token_allowance(schema))
            # The most the call may cost: its prompt, counted low, and the longest answer.
            allowance = _characters(messages) // 4 + max_tokens
            if request.budget is not None:
                request.budget.charge(request.session_id, tokens=allowance)
            started = time.perf_counter()
            completion = self._complete(
                messages,
                schema,
                name=request.stage.value,
                max_tokens=max_tokens,
                seed=seed + reasks,
                estimate=allowance,
            )
            record = calls.record(completion, time.perf_counter() - started, reask=reasks > 0)
            if request.budget is not None:
                model = calls.served_by or self._model
                request.budget.settle(model_call(request, record, model), charged=allowance)
            answer, problem = _answer_and_problem(completion)
            if not problem:
                artifact, problem = _parse(output_model, answer)
                if artifact is not None:
                    return artifact
            messages.append({"role": "assistant", "content": answer})
            messages.append(
                {
                    "role": "user",
                    "content": f"That answer is not a valid {model_name}: {problem}. "
                    "Reply with the whole corrected JSON object only.",
                }
            )
        raise MalformedOutputError(
            f"{request.stage.value}: no valid {model_name} from {calls.served_by or self._model} "
            f"after {self._malformed_retries + 1} answers; last problem: {problem}"
        )

    def _room_for_answer(self, messages: list[ChatCompletionMessageParam], allowance: int) -> int:
        """The answer's token allowance, within what the context leaves after the prompt."""
        if self._context_tokens is None:
            return allowance
        prompt = _characters(messages) // PROMPT_CHARACTERS_PER_TOKEN
        room = self._context_tokens - prompt
        if room < allowance // 2:
            raise GenerationError(
                f"the prompt (~{prompt} tokens) leaves {max(room, 0)} of the {self._context_tokens}"
                f"-token context for an answer of up to {allowance} tokens: raise "
                "GENESIS_LOCAL_CONTEXT_TOKENS or use a model with a longer context"
            )
        return min(allowance, room)

    def _complete(
        self,
        messages: list[ChatCompletionMessageParam],
        schema: dict[str, Any],
        *,
        name: str,
        max_tokens: int,
        seed: int,
        estimate: int,
    ) -> ChatCompletion:
        if self._rate_limiter is not None:
            try:
                self._rate_limiter.acquire(tokens=estimate)
            except TimeoutError as error:  # the shared limit is busy: try again later
                raise TransientGenerationError(f"rate limit: {error}") from error
        try:
            completion = self._create(messages, schema, name, max_tokens=max_tokens, seed=seed)
        except openai.APITimeoutError as error:
            message = f"{self._base_url}: no answer within {self._timeout_s:g}s"
            if not self._timeouts_are_transient:
                raise GenerationError(
                    f"{message}; raise GENESIS_LLM_TIMEOUT_S or use a faster model"
                ) from error
            raise TransientGenerationError(
                f"{message} (after {self._max_retries} retries)"
            ) from error
        except openai.APIConnectionError as error:
            raise TransientGenerationError(f"{self._base_url}: cannot connect: {error}") from error
        except openai.APIStatusError as error:
            raise _status_error(self._base_url, self._model, error) from error
        except openai.OpenAIError as error:
            raise GenerationError(f"{self._base_url}: unusable response: {error}") from error
        # A failed call keeps its whole estimate charged: the server may have spent tokens.
        if self._rate_limiter is not None and completion.usage is not None:
            self._rate_limiter.settle(estimated=estimate, actual=completion.usage.total_tokens)
        return completion

    def _create(
        self,
        messages: list[ChatCompletionMessageParam],
        schema: dict[str, Any],
        name: str,
        *,
        max_tokens: int,
        seed: int,
    ) -> ChatCompletion:
        while True:
            style = "json_schema" if self._structured_output == "auto" else self._structured_output
            try:
                return self._client_or_build().chat.completions.create(
                    model=self._model,
                    messages=messages,
                    response_format=_response_format(style, schema, name),
                    temperature=self._temperature,
                    max_tokens=max_tokens,
                    seed=seed,
                )
            except openai.APIStatusError as error:
                if self._structured_output != "auto" or not _rejects_json_schema(error):
                    raise
                self._structured_output = "json_object"  # and ask again, once

    def _client_or_build(self) -> openai.OpenAI:
        if self._client is None:
            try:
                self._client = openai.OpenAI(
                    base_url=self._base_url,
                    api_key=self._api_key,
                    timeout=self._timeout_s,
                    max_retries=self._max_retries,
                )
            except openai.OpenAIError as error:
                raise GenerationError(f"cannot configure the OpenAI client: {error}") from error
        return self._client


def _characters(messages: list[ChatCompletionMessageParam]) -> int:
    return sum(len(str(message.get("content", ""))) for message in messages)


def _response_format(style: str, schema: dict[str, Any], name: str) -> ResponseFormat:
    if style == "json_object":
        # Not in the SDK's types: llama-cpp-python turns the schema into a grammar.
        return cast(ResponseFormat, {"type": "json_object", "schema": schema})
    # Pydantic schemas with optional fields and dicts are not valid strict schemas.
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}


def _rejects_json_schema(error: openai.APIStatusError) -> bool:
    """Whether the server refused the `json_schema` response format itself (llama-cpp-python's
    server answers HTTP 500, others 400 or 422), not the request for another reason."""
    mentioned = any(word in str(error).lower() for word in ("json_schema", "response_format"))
    return error.status_code in (400, 422, 500) and mentioned


class CallLog:
    """Tokens, latency and re-asks of every chat completion made for one stage attempt."""

    def __init__(self, purpose: str = "draft") -> None:
        self.calls: list[CallRecord] = []
        self.served_by = ""
        self.reasks = 0
        self._purpose = purpose

    def record(self, completion: ChatCompletion, seconds: float, *, reask: bool) -> CallRecord:
        usage = completion.usage
        self.served_by = completion.model or self.served_by
        self.reasks += int(reask)
        finish = completion.choices[0].finish_reason if completion.choices else "none"
        call: CallRecord = {
            "tokens_in": usage.prompt_tokens if usage else 0,
            "tokens_out": usage.completion_tokens if usage else 0,
            "latency_ms": round(seconds * 1000.0, 1),
            "finish_reason": str(finish),
            "purpose": self._purpose,
        }
        self.calls.append(call)
        return call

    @property
    def tokens_in(self) -> int:
        return sum(int(call["tokens_in"]) for call in self.calls)

    @property
    def tokens_out(self) -> int:
        return sum(int(call["tokens_out"]) for call in self.calls)

    @property
    def latency_ms(self) -> float:
        return sum(float(call["latency_ms"]) for call in self.calls)

    def as_metadata(self) -> list[CallRecord]:
        return list(self.calls)


def _system_message(system: str, schema: dict[str, Any]) -> str:
    # An outline of the fields rather than the schema itself: servers that enforce the schema
    # need no copy, and a small model given the schema's text copies `$defs` paths into prose.
    return (
        f"{system}\n\nAnswer with one JSON object and nothing else (no prose, no Markdown "
        f"fences). Its fields: {schema_outline(schema)}"
    )


def _answer_and_problem(completion: ChatCompletion) -> tuple[str, str]:
    """The answer's text, and why it cannot be an artifact before parsing it ("" if it may)."""
    if not completion.choices:
        return "", "the server returned no choices"
    choice = completion.choices[0]
    answer = choice.message.content or ""
    if choice.message.refusal:
        return answer, f"the model refused: {choice.message.refusal}"
    if choice.finish_reason == "length":
        return answer, "the answer was cut off at the token limit; answer more concisely"
    if not answer.strip():
        return answer, "the answer was empty"
    return answer, ""


def _parse(output_model: type[ModelT], answer: str) -> tuple[ModelT | None, str]:
    text = answer.strip()
    fenced = _FENCED.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        # Not strict: llama.cpp's JSON grammar lets a raw newline into a string, which strict
        # JSON forbids; the text is still the model's answer, and the gates judge its prose.
        parsed = json.loads(text, strict=False)
    except json.JSONDecodeError as error:
        return None, f"(whole answer): not valid JSON: {error}"
    try:
        return output_model.model_validate(parsed), ""
    except ValidationError as error:
        return None, _describe(error)


def _describe(error: ValidationError) -> str:
    """The first error and its field, e.g. `structure: List should have at least 3 items`."""
    errors = error.errors(include_url=False, include_input=False)
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or "(whole answer)"
    more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
    return f"{field}: {first['msg']}{more}"


def _status_error(base_url: str, model: str, error: openai.APIStatusError) -> GenerationError:
    status = error.status_code
    message = f"{base_url} answered HTTP {status} for model {model!r}: {error.message}"
    # The SDK has already retried these with backoff; a later attempt of the stage may succeed.
    if status in (408, 409, 429) or status >= 500:
        return TransientGenerationError(message)
    hint = _PERMANENT_HINTS.get(status)
    return GenerationError(f"{message} ({hint})" if hint else message)
