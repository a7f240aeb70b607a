"""A generator for any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama, llama.cpp).

Transport faults are retried by the SDK itself (with backoff that honours `Retry-After`);
this module only re-asks when the model answered with something that is not a valid
artifact, and turns what is left into the port's error types.
"""

import json
import re
import time
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import ValidationError

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.generation.port import (
    Generation,
    GenerationError,
    MalformedOutputError,
    StageRequest,
    TransientGenerationError,
)
from genesis_pipeline.generation.token_bucket import RateLimiter

# Room for the answer in the rate-limit estimate; `settle` corrects it with the real usage.
ANSWER_TOKEN_ALLOWANCE = 1000
_FENCED = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.DOTALL)
_PERMANENT_HINTS = {
    400: "the server rejected the request",
    401: "check the API key",
    403: "the API key may not use this model",
    404: "check base_url and the model name",
}


class OpenAIGenerator:
    """Writes a stage's artifact with one chat completion, re-asking while it does not validate."""

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
    ) -> None:
        self._base_url = base_url
        self._api_key = api_key
        self._model = model
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._malformed_retries = malformed_retries
        self._rate_limiter = rate_limiter
        self._temperature = temperature
        self._client: openai.OpenAI | None = None

    def generate(self, request: StageRequest) -> Generation:
        model_name = request.output_model.__name__
        schema = request.output_model.model_json_schema()
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": _system_message(request, schema)},
            {"role": "user", "content": request.prompt.user},
        ]
        response_format: ResponseFormat = {
            "type": "json_schema",
            "json_schema": {
                "name": request.stage.value,
                "schema": schema,
                # Pydantic schemas with optional fields and dicts are not valid strict schemas.
                "strict": False,
            },
        }
        tokens_in = tokens_out = 0
        served_by = self._model
        started = time.perf_counter()
        problem = ""
        for reasks in range(self._malformed_retries + 1):
            completion = self._complete(messages, response_format)
            if completion.usage is not None:
                tokens_in += completion.usage.prompt_tokens
                tokens_out += completion.usage.completion_tokens
            served_by = completion.model or served_by
            answer, problem = _answer_and_problem(completion)
            if not problem:
                artifact, problem = _parse(request.output_model, answer)
                if artifact is not None:
                    return Generation(
                        artifact=artifact,
                        model=served_by,
                        tokens_in=tokens_in,
                        tokens_out=tokens_out,
                        latency_ms=(time.perf_counter() - started) * 1000.0,
                        extra={"reasks": reasks},
                    )
            messages.append({"role": "assistant", "content": answer})
            messages.append(
                {
                    "role": "user",
                    "content": f"That answer is not a valid {model_name}: {problem}. "
                    "Reply with the whole corrected JSON object only.",
                }
            )
        raise MalformedOutputError(
            f"{request.stage.value}: no valid {model_name} from {served_by} after "
            f"{self._malformed_retries + 1} answers; last problem: {problem}"
        )

    def _complete(
        self, messages: list[ChatCompletionMessageParam], response_format: ResponseFormat
    ) -> ChatCompletion:
        estimate = (
            sum(len(str(m.get("content", ""))) for m in messages) // 4 + ANSWER_TOKEN_ALLOWANCE
        )
        if self._rate_limiter is not None:
            self._rate_limiter.acquire(tokens=estimate)
        try:
            completion = self._client_or_build().chat.completions.create(
                model=self._model,
                messages=messages,
                response_format=response_format,
                temperature=self._temperature,
            )
        except openai.APITimeoutError as error:
            raise TransientGenerationError(
                f"{self._base_url}: no answer within {self._timeout_s:g}s "
                f"(after {self._max_retries} retries)"
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


def _system_message(request: StageRequest, schema: dict[str, Any]) -> str:
    # The schema is repeated in the text for servers that ignore `response_format`.
    return (
        f"{request.prompt.system}\n\n"
        "Answer with one JSON object that matches this JSON schema, and nothing else "
        f"(no prose, no Markdown fences):\n{json.dumps(schema, separators=(',', ':'))}"
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


def _parse(output_model: type[Artifact], answer: str) -> tuple[Artifact | None, str]:
    text = answer.strip()
    fenced = _FENCED.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        return output_model.model_validate_json(text), ""
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
