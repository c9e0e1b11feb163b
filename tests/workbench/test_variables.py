"""{{variables}}: found as typed, filled before a send, escaped with a backslash."""
import pytest

from chat.errors import ApiError
from chat.workbench.variables import fill, fill_messages, names, names_in


def test_names_in_order_once_each_with_spaces_allowed():
    assert names("Hi {{ name }}, about {{topic}} and {{name}} again") == ["name", "topic"]


def test_an_escaped_variable_is_not_a_variable_and_fills_as_literal_braces():
    text = r"Use \{{name}} literally, but {{name}} here"
    assert names(text) == ["name"]
    assert fill(text, {"name": "Ada"}) == "Use {{name}} literally, but Ada here"


def test_not_a_name_is_left_alone():
    assert names("{{ 1abc }} {{a-b}} {{}}") == []
    assert fill("{{a-b}}", {}) == "{{a-b}}"


def test_json_values_are_filled_as_compact_json():
    assert fill("data: {{payload}}", {"payload": {"a": [1, 2]}}) == 'data: {"a": [1, 2]}'


def test_every_missing_variable_is_named_and_nothing_is_filled():
    messages = [{"role": "system", "content": "You speak {{language}}."},
                {"role": "user", "content": "Tell me about {{topic}} in {{language}}."}]
    with pytest.raises(ApiError) as refused:
        fill_messages(messages, {"language": "French", "topic": ""})
    assert refused.value.status == 400
    assert "{{topic}}" in refused.value.message and "{{language}}" not in refused.value.message
    assert names_in(messages) == ["language", "topic"]
    filled = fill_messages(messages, {"language": "French", "topic": "tides"})
    assert [m["content"] for m in filled] == ["You speak French.", "Tell me about tides in French."]
