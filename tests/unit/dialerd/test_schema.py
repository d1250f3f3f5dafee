"""The JSON schemas in config/schema/: current with the models, and an editor using them
accepts every shipped example and flags what the loader would refuse."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from dialerd.schema import main, stale
from dialerd.yamlfile import read_yaml

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_DIR = ROOT / "config" / "schema"
EXAMPLES = ROOT / "config" / "examples"


def validator(name: str) -> Draft7Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def as_editor_sees(path: Path) -> Any:
    """The document as JSON: YAML 1.2's unquoted 2026-12-25 is the text 2026-12-25."""
    return json.loads(json.dumps(read_yaml(path), default=date.isoformat))


def errors(name: str, document: Any) -> list[tuple[str, str]]:
    """Each error where an editor underlines it: inside `x or null`, the `x` that failed."""
    found = [best_match([error]) for error in validator(name).iter_errors(document)]
    return sorted((error.json_path, error.message) for error in found if error is not None)


def test_the_committed_schemas_are_what_the_models_generate() -> None:
    assert stale(SCHEMA_DIR) == [], "run: python -m dialerd.schema --write config/schema"


DRAFT_7_KEYWORDS = {
    *("$schema", "$ref", "$defs", "title", "description", "default", "type", "enum", "format"),
    *("properties", "patternProperties", "additionalProperties", "required", "minProperties"),
    *("items", "minItems", "maxItems", "anyOf", "pattern", "minLength", "maxLength"),
    *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "writeOnly"),
}
NAMES_NOT_KEYWORDS = {"properties", "patternProperties", "$defs"}  # their keys are names
VALUES_NOT_SCHEMAS = {"default", "enum", "required"}


def keywords(schema: Any) -> set[str]:
    if isinstance(schema, list):
        return set().union(*map(keywords, schema))
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        if key in NAMES_NOT_KEYWORDS:
            found |= set().union(*map(keywords, value.values()))
        elif key not in VALUES_NOT_SCHEMAS:
            found |= keywords(value)
    return found


@pytest.mark.parametrize("name", ["campaign.schema.json", "dialerd.schema.json"])
def test_the_schemas_use_only_keywords_an_editor_knows(name: str) -> None:
    """yaml-language-server implements draft 7: a newer keyword would be silently ignored."""
    schema = json.loads((SCHEMA_DIR / name).read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert keywords(schema) - DRAFT_7_KEYWORDS == set()


def test_a_changed_schema_file_is_found_stale(tmp_path: Path) -> None:
    assert main(["--write", str(tmp_path)]) == 0
    assert stale(tmp_path) == []
    edited = tmp_path / "campaign.schema.json"
    edited.write_text(edited.read_text().replace('"lease_s"', '"lease"'))
    assert main(["--check", str(tmp_path)]) == 1
    assert stale(tmp_path) == [edited]


@pytest.mark.parametrize(
    "example", sorted((EXAMPLES / "campaigns").glob("*.yaml")), ids=lambda path: path.name
)
def test_every_example_campaign_validates(example: Path) -> None:
    assert errors("campaign.schema.json", as_editor_sees(example)) == []


def test_the_example_main_file_validates() -> None:
    assert errors("dialerd.schema.json", as_editor_sees(EXAMPLES / "dialerd.yaml")) == []


def example_campaign() -> Any:
    return as_editor_sees(EXAMPLES / "campaigns" / "progressive.yaml")


def test_the_schema_rejects_unknown_keys_at_any_depth() -> None:
    campaign = example_campaign()
    campaign["priorty"] = 5  # a misspelt key
    campaign["lines"]["max_line"] = 5
    campaign["calling_window"]["hours"]["monday"] = "09:00-17:00"
    assert [path for path, _ in errors("campaign.schema.json", campaign)] == [
        "$",
        "$.calling_window.hours",
        "$.lines",
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("enabled", "no", "'no' is not of type 'boolean'"),
        ("lease_s", 5, "5 is less than the minimum of 10"),
        ("mode", "broadcast", "'broadcast' is not one of ['preview', 'progressive', 'predictive']"),
        ("preview", {"reserve_s": 1}, "1 is less than the minimum of 5"),
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(key: str, value: Any, message: str) -> None:
    campaign = example_campaign()
    campaign[key] = value
    at = f"$.{key}" + (".reserve_s" if key == "preview" else "")
    assert errors("campaign.schema.json", campaign) == [(at, message)]


def test_an_unquoted_caller_id_and_a_malformed_window_are_flagged() -> None:
    campaign = example_campaign()
    campaign["dial"]["caller_id"] = 441234567
    campaign["calling_window"]["hours"]["sat"] = "10-16"
    flagged = [path for path, _ in errors("campaign.schema.json", campaign)]
    assert flagged == ["$.calling_window.hours.sat", "$.dial.caller_id"]


def test_the_main_schema_requires_the_database_and_a_server() -> None:
    assert errors("dialerd.schema.json", {"asterisk": []}) == [
        ("$", "'database' is a required property"),
        ("$.asterisk", "[] should be non-empty"),
    ]
