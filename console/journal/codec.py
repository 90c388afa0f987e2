"""Event <-> stored payload text: canonical JSON of `event_payload`, parsed back by kind."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from console.domain.canonical import canonical_json
from console.domain.events import JournalEvent, event_from_payload, event_payload

# Same union and discriminator as console.domain.events; validate_json skips the Python
# json.loads step (the stored text is parsed once, in pydantic-core), same lax semantics.
_ADAPTER: TypeAdapter[JournalEvent] = TypeAdapter(JournalEvent)


def encode_event(event: JournalEvent) -> str:
    """The payload column text: canonical JSON (sorted keys, no whitespace) of the event."""
    return canonical_json(event_payload(event))


def parse_payload(payload: str | bytes) -> JournalEvent:
    """Rebuild the event stored as `payload`; raises ValidationError / ValueError if it is not."""
    return _ADAPTER.validate_json(payload, strict=False)


def roundtrip_check(event: JournalEvent, payload: str) -> None:
    """Raise ValueError unless `payload` parses back to exactly `event` (both parsers)."""
    plain: Any = json.loads(payload)
    if not isinstance(plain, dict):
        raise ValueError("payload is not a JSON object")
    if event_from_payload(plain) != event or parse_payload(payload) != event:
        raise ValueError(f"{event.kind} event does not survive its JSON payload unchanged")
