"""The printed JSON Schema accepts what the loader accepts and rejects what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from console.domain.schema import plan_json_schema

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "plan.json"


def test_schema_is_valid_and_accepts_the_demo_plan() -> None:
    schema = plan_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(DEMO.read_text()), schema)


def test_schema_rejects_a_bad_action_and_missing_items() -> None:
    schema = plan_json_schema()
    doc = json.loads(DEMO.read_text())
    doc["items"][0]["action"] = "short"
    validator = jsonschema.Draft202012Validator(schema)
    assert any("action" in str(e.path) or "short" in e.message for e in validator.iter_errors(doc))
    del doc["items"]
    assert not validator.is_valid(doc)
