"""Deterministic evaluators: each kind's pass, fail and edge cases, checked when attached and judged per cell."""
import pytest

from chat.workbench import evaluators
from chat.workbench.evaluators import Invalid, check, evaluate


def case(output: str, expected: str = "", **extra) -> dict:
    return {"output": output, "expected": expected, "input": "", "tool_calls": [], "duration_ms": 100.0,
            "cost": 0.001, "tokens": 50, **extra}


def judged(config: dict, *args, **kwargs) -> dict:
    return evaluate(check(config), case(*args, **kwargs))


@pytest.mark.parametrize("config, output, expected, passed", [
    ({"kind": "equals", "value": "Paris"}, " Paris\n", "", True),
    ({"kind": "equals"}, "Paris", "Paris", True),
    ({"kind": "equals"}, "paris", "Paris", False),
    ({"kind": "equals", "case_sensitive": False}, "paris", "Paris", True),
    ({"kind": "contains", "value": "CAPITAL", "case_sensitive": False}, "The capital is Paris", "", True),
    ({"kind": "contains", "value": "CAPITAL"}, "The capital is Paris", "", False),
    ({"kind": "not_contains", "value": "sorry", "case_sensitive": False}, "Sorry, I cannot", "", False),
    ({"kind": "not_contains", "value": "sorry"}, "Paris", "", True),
    ({"kind": "starts_with", "value": "Yes"}, "Yes, it is", "", True),
    ({"kind": "starts_with", "value": "Yes"}, "No. Yes", "", False),
])
def test_text_matches_with_case_options(config, output, expected, passed):
    verdict = judged(config, output, expected)
    assert verdict["passed"] is passed and verdict["error"] is None and verdict["name"] == config["kind"]


def test_a_text_verdict_says_why():
    assert judged({"kind": "equals"}, "Lyon", "Paris")["reason"] == "The output does not equal 'Paris'."
    assert judged({"kind": "not_contains", "value": "sorry"}, "so sorry")["reason"] == "The output contains 'sorry'."


def test_a_text_evaluator_without_value_or_expected_is_that_cells_error():
    verdict = judged({"kind": "equals"}, "Paris", "")
    assert verdict["passed"] is False
    assert verdict["error"] == "No value in the evaluator and no expected output on this row."


def test_regex_matches_and_an_invalid_one_is_refused_when_attached():
    assert judged({"kind": "regex", "pattern": r"^\d{3}-\d{4}$"}, "555-1234")["passed"] is True
    assert judged({"kind": "regex", "pattern": "paris", "case_sensitive": False}, "PARIS")["passed"] is True
    assert judged({"kind": "regex", "pattern": "paris"}, "PARIS")["passed"] is False
    with pytest.raises(Invalid, match=r"regex: the pattern is not a valid regular expression \(unterminated"):
        check({"kind": "regex", "pattern": "([a-z"})


def test_an_invalid_regex_from_the_rows_expected_output_is_an_error_on_that_cell_only():
    verdict = judged({"kind": "regex"}, "anything", "([a-z")
    assert verdict["passed"] is False and verdict["error"].startswith("Not a valid regular expression: '([a-z'")


def test_is_json():
    assert judged({"kind": "is_json"}, '{"a": 1}')["passed"] is True
    bad = judged({"kind": "is_json"}, "{'a': 1}")
    assert bad["passed"] is False and bad["reason"].startswith("Not valid JSON: Expecting property name")
    assert judged({"kind": "is_json"}, "")["reason"] == "The reply is empty."


SCHEMA = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}


def test_json_schema_valid_and_invalid_output():
    assert judged({"kind": "json_schema", "schema": SCHEMA}, '{"age": 3}')["passed"] is True
    verdict = judged({"kind": "json_schema", "schema": SCHEMA}, '{"age": "three"}')
    assert verdict["passed"] is False and verdict["reason"] == "$.age: 'three' is not of type 'integer'"


def test_a_schema_that_is_not_a_schema():
    with pytest.raises(Invalid, match=r"json_schema: Not a JSON schema: \$\.type: 'banana' is not valid"):
        check({"kind": "json_schema", "schema": {"type": "banana"}})
    with pytest.raises(Invalid, match="A schema must be a JSON object"):
        check({"kind": "json_schema", "schema": [1, 2]})
    from_row = judged({"kind": "json_schema"}, '{"age": 3}', "not json at all")
    assert from_row["passed"] is False and from_row["error"] == "The expected output is not a JSON schema (not JSON)."
    wrong = judged({"kind": "json_schema"}, '{"age": 3}', '{"type": 12}')
    assert wrong["passed"] is False and wrong["error"].startswith("Not a JSON schema: $.type: 12 is not valid")


def test_json_path_equals():
    output = '{"answer": {"items": [{"name": "Ada"}], "ok": true}}'
    assert judged({"kind": "json_path", "path": "$.answer.items[0].name", "value": "Ada"}, output)["passed"] is True
    assert judged({"kind": "json_path", "path": "$.answer.ok", "value": True}, output)["passed"] is True
    assert judged({"kind": "json_path", "path": "$.answer.ok"}, output, "true")["passed"] is True
    wrong = judged({"kind": "json_path", "path": '$["answer"].items[0].name', "value": "Bob"}, output)
    assert wrong["passed"] is False and wrong["reason"] == '$["answer"].items[0].name is "Ada", not "Bob".'
    missing = judged({"kind": "json_path", "path": "$.answer.items[3]", "value": 1}, output)
    assert missing["reason"] == "$.answer.items[3] is not in the output."
    assert judged({"kind": "json_path", "path": "$.a", "value": 1}, "nope")["passed"] is False
    with pytest.raises(Invalid, match="json_path: a path starts with \\$"):
        check({"kind": "json_path", "path": "answer"})
    with pytest.raises(Invalid, match="cannot read '..b'"):
        check({"kind": "json_path", "path": "$.a..b"})


def _call(name: str, arguments: str, valid: bool = True) -> dict:
    errors = [] if valid else [{"path": "$", "message": "'city' is a required property"}]
    return {"id": "c1", "name": name, "arguments": arguments, "validation": {"valid": valid, "errors": errors}}


def test_a_tool_was_called_with_valid_arguments():
    config = {"kind": "tool_called", "tool": "get_weather"}
    assert judged(config, "", tool_calls=[_call("get_weather", '{"city": "Oslo"}')])["passed"] is True
    bad = judged(config, "", tool_calls=[_call("get_weather", "{}", valid=False)])
    assert bad["passed"] is False and bad["reason"].endswith("$: 'city' is a required property")
    assert judged(config, "It is sunny")["reason"] == "get_weather was not called."
    own = {**config, "schema": {"type": "object", "required": ["unit"]}}
    assert judged(own, "", tool_calls=[_call("get_weather", '{"city": "Oslo"}')])["passed"] is False
    with pytest.raises(Invalid, match="tool_called: tool must be non-empty text"):
        check({"kind": "tool_called"})


def test_limits_on_latency_cost_and_tokens():
    assert judged({"kind": "latency", "max": 100}, "x")["passed"] is True
    assert judged({"kind": "latency", "max": 99.9}, "x")["reason"] == "Latency 100.0 ms > 99.9."
    assert judged({"kind": "cost", "max": 0.0005}, "x")["passed"] is False
    assert judged({"kind": "tokens", "max": 50}, "x")["passed"] is True
    unknown = judged({"kind": "cost", "max": 1}, "x", cost=None)
    assert unknown["passed"] is False and unknown["error"] == "Cost is not known for this run (the provider reported none)."
    with pytest.raises(Invalid, match="latency: max must be a number of at least 0"):
        check({"kind": "latency", "max": "fast"})


def test_similarity_is_a_string_ratio_against_the_expected_output():
    close = judged({"kind": "similarity", "min": 0.9}, "The capital is Paris.", "The capital is Paris")
    assert close["passed"] is True and close["score"] == 0.976
    far = judged({"kind": "similarity"}, "Berlin", "The capital is Paris")
    assert far["passed"] is False and far["score"] < 0.5
    with pytest.raises(Invalid, match="similarity: min must be a number from 0 to 1"):
        check({"kind": "similarity", "min": 2})


def test_configs_are_checked_as_a_list():
    assert evaluators.check_all(None) == []
    with pytest.raises(Invalid, match="Each evaluator needs a kind, one of: equals, contains"):
        evaluators.check_all([{"kind": "vibes"}])
    with pytest.raises(Invalid, match="same name"):
        evaluators.check_all([{"kind": "is_json"}, {"kind": "is_json"}])
    named = evaluators.check_all([{"kind": "is_json"}, {"kind": "is_json", "name": "json again"}])
    assert [c["name"] for c in named] == ["is_json", "json again"]
