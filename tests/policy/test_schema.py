"""The JSON Schema shipped for editors accepts what the loader accepts and rejects typical mistakes."""

import json
from importlib import resources

import jsonschema
import pytest
import yaml

from guardian.policy.load import load_policy

SCHEMA = json.loads(
    (resources.files("guardian.policy") / "data" / "policy.schema.json").read_text()
)
EXAMPLE = yaml.safe_load(
    (resources.files("guardian.policy") / "data" / "example_policy.yaml").read_text()
)
DEFAULT = json.loads(
    (resources.files("guardian.policy") / "data" / "default_policy.json").read_text()
)


@pytest.mark.parametrize("document", [EXAMPLE, DEFAULT], ids=["example", "default"])
def test_shipped_policies_validate_and_load(document: object) -> None:
    jsonschema.validate(document, SCHEMA)
    load_policy(document)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "r", "acton": "x", "effect": "ALLOW"},
        {"id": "r", "effect": "maybe"},
        {"id": "r", "action": "[x]", "effect": "ALLOW"},
        {"id": "r", "min_authority": 9, "effect": "ALLOW"},
        {"id": "r", "effect": "ALLOW", "decision": "DENY"},
    ],
)
def test_schema_rejects_what_the_loader_rejects(rule: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"rules": [rule]}, SCHEMA)
    with pytest.raises(Exception, match="policy invalid"):
        load_policy([rule])
