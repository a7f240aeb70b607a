"""One codec for every topic: bytes ⇄ envelope, with precise reasons for what it rejects."""

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import ValidationError

from genesis_pipeline.domain.events import Envelope, EventType
from genesis_pipeline.domain.inbound import INBOUND_PAYLOADS, Inbound, Rejected, RejectReason
from genesis_pipeline.domain.session import SESSION_ID_PATTERN

MAX_MESSAGE_BYTES = 1024 * 1024

# The newest `event_version` of each inbound type, and the steps that bring an older payload
# up to it: (event_type, version) → payload of version + 1. Contract v1 has no older versions
# yet; a change to a payload adds its step here instead of breaking old producers.
CURRENT_VERSIONS: Mapping[str, int] = {t.value: 1 for t in INBOUND_PAYLOADS}
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: Mapping[tuple[str, int], Upcaster] = {}


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


def decode(
    raw: bytes | None,
    *,
    accepted: Collection[EventType],
    upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS,
    current_versions: Mapping[str, int] = CURRENT_VERSIONS,
) -> Inbound:
    """Parse and validate one inbound message, or raise `Rejected` saying exactly why."""
    if raw is None:
        raise Rejected(RejectReason.BAD_JSON, "empty message (no value)")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Rejected(
            RejectReason.OVERSIZE, f"{len(raw)} bytes is over the {MAX_MESSAGE_BYTES}-byte limit"
        )
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Rejected(RejectReason.BAD_JSON, f"not UTF-8 JSON: {error}") from None
    if not isinstance(document, dict):
        raise Rejected(RejectReason.SCHEMA_VIOLATION, "the message is not a JSON object")
    try:
        envelope = Envelope.model_validate(document)
    except ValidationError as error:
        raise Rejected(RejectReason.SCHEMA_VIOLATION, _describe(error)) from None
    if not SESSION_ID_PATTERN.match(envelope.session_id):
        raise Rejected(
            RejectReason.SCHEMA_VIOLATION,
            f"session_id: {envelope.session_id!r} does not match {SESSION_ID_PATTERN.pattern}",
        )
    if envelope.event_type not in {t.value for t in accepted}:
        raise Rejected(
            RejectReason.UNKNOWN_EVENT_TYPE,
            f"{envelope.event_type!r} is not accepted on this topic",
        )
    event_type = EventType(envelope.event_type)
    payload = _upcast(envelope, upcasters, current_versions)
    try:
        model = INBOUND_PAYLOADS[event_type].model_validate(payload)
    except ValidationError as error:
        if any(e["loc"][:1] == ("stage",) and e["type"] == "enum" for e in error.errors()):
            raise Rejected(
                RejectReason.UNKNOWN_STAGE, f"unknown stage {payload.get('stage')!r}"
            ) from None
        raise Rejected(RejectReason.SCHEMA_VIOLATION, f"payload.{_describe(error)}") from None
    return Inbound(envelope=envelope, event_type=event_type, payload=model)


def _upcast(
    envelope: Envelope,
    upcasters: Mapping[tuple[str, int], Upcaster],
    current_versions: Mapping[str, int],
) -> dict[str, Any]:
    current = current_versions[envelope.event_type]
    version = envelope.event_version
    if version > current:
        raise Rejected(
            RejectReason.UNSUPPORTED_VERSION,
            f"{envelope.event_type} version {version} is newer than {current}, the newest "
            "this consumer reads",
        )
    payload = dict(envelope.payload)
    while version < current:
        step = upcasters.get((envelope.event_type, version))
        if step is None:
            raise Rejected(
                RejectReason.UNSUPPORTED_VERSION,
                f"no upcaster from {envelope.event_type} version {version}",
            )
        payload = step(payload)
        version += 1
    return payload


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"
