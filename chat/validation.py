"""JSON Schema checks of tool-call arguments and structured replies."""
import json

from jsonschema import SchemaError
from jsonschema.validators import validator_for


def _errors(schema: dict, value) -> list[dict]:
    validator_cls = validator_for(schema)
    validator = validator_cls(schema)
    return [{"path": e.json_path, "message": e.message} for e in sorted(validator.iter_errors(value), key=str)]


def check_schema(schema) -> list[str]:
    """Problems with a JSON Schema itself (checked against its meta-schema); empty when valid."""
    if not isinstance(schema, dict):
        return ["A schema must be a JSON object."]
    if not isinstance(schema.get("$schema", ""), str):
        return ["$schema must be the URI of a JSON Schema draft."]
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as error:
        return [f"{error.json_path}: {error.message}"]
    return []


def validate_json_text(text: str, schema: dict | None) -> dict:
    """{valid, errors, value} for a JSON document given as text, against an optional schema."""
    try:
        value = json.loads(text) if text.strip() else None
    except ValueError as error:
        return {"valid": False, "errors": [{"path": "$", "message": f"Not valid JSON: {error}"}], "value": None}
    if value is None and not text.strip():
        return {"valid": False, "errors": [{"path": "$", "message": "The reply is empty."}], "value": None}
    if not schema:
        return {"valid": True, "errors": [], "value": value}
    errors = _errors(schema, value)
    return {"valid": not errors, "errors": errors, "value": value}


def validate_tool_calls(calls: list[dict], tools: list[dict]) -> list[dict]:
    """Each call with `validation`: its arguments checked against its tool's `parameters`."""
    schemas = {t["function"]["name"]: t["function"].get("parameters") or {} for t in tools}
    checked = []
    for call in calls:
        if call["name"] not in schemas:
            verdict = {"valid": False, "errors": [{"path": "$", "message": f"No tool named {call['name']!r}."}]}
        else:
            result = validate_json_text(call["arguments"] or "{}", schemas[call["name"]])
            verdict = {"valid": result["valid"], "errors": result["errors"]}
        checked.append({**call, "validation": verdict})
    return checked
