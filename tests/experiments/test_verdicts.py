"""Valid, invalid and non-JSON replies, and tool calls: each run's verdict and its JSON paths, exactly."""
import pytest
from channels.db import database_sync_to_async

from tests.experiments.conftest import JSON_SCHEMA_FORMAT, WEATHER_TOOL, make_experiment, rows_of, run_to_end
from tests.fakes.script import Reply, ScriptedCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_each_reply_gets_its_schema_verdict_with_exact_paths(alice, provider, openai_fake):
    openai_fake.enqueue(
        Reply.text_of('{"name": "Ada", "age": 36}', pieces=3),
        Reply.text_of('{"name": 5, "age": -1, "extra": true}', pieces=2),
        Reply.text_of("Sure! Here is a person: Ada, 36.", pieces=2),
        Reply.text_of(""),
    )
    experiment = await database_sync_to_async(make_experiment)(
        alice, [("loopback", "fake-model")], repeats=4, concurrency=1, response_format=JSON_SCHEMA_FORMAT)
    batch = await run_to_end(experiment, alice)
    rows = await database_sync_to_async(rows_of)(batch)
    assert [r["valid"] for r in rows] == [True, False, False, False]
    assert [r["status"] for r in rows] == ["complete"] * 4
    assert rows[0]["validation_errors"] == []
    assert rows[1]["validation_errors"] == [
        {"path": "$.age", "message": "-1 is less than the minimum of 0"},
        {"path": "$.name", "message": "5 is not of type 'string'"},
        {"path": "$", "message": "Additional properties are not allowed ('extra' was unexpected)"},
    ]
    assert rows[2]["validation_errors"] == [
        {"path": "$", "message": "Not valid JSON: Expecting value: line 1 column 1 (char 0)"}]
    assert rows[3]["validation_errors"] == [{"path": "$", "message": "The reply is empty."}]
    assert rows[1]["output"] == '{"name": 5, "age": -1, "extra": true}'
    sent = openai_fake.chat_requests()[0].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == JSON_SCHEMA_FORMAT["json_schema"]["schema"]
    assert all(r["tool_calls_valid"] is None for r in rows)


async def test_tool_calls_are_checked_against_their_tools(alice, provider, openai_fake):
    openai_fake.enqueue(
        Reply(tool_calls=[ScriptedCall("c1", "get_weather", ['{"city":', ' "Oslo"}'])], finish="tool_calls"),
        Reply(tool_calls=[ScriptedCall("c2", "get_weather", ['{"city": 7}'])], finish="tool_calls"),
        Reply(tool_calls=[ScriptedCall("c3", "get_time", ["{}"])], finish="tool_calls"),
        Reply(tool_calls=[ScriptedCall("c4", "get_weather", ["{not json"])], finish="tool_calls"),
        Reply.text_of("It is sunny, I think."),
    )
    experiment = await database_sync_to_async(make_experiment)(
        alice, [("loopback", "fake-model")], repeats=5, concurrency=1, tools=[WEATHER_TOOL], tool_choice="auto")
    batch = await run_to_end(experiment, alice)
    rows = await database_sync_to_async(rows_of)(batch)
    assert [r["tool_calls_valid"] for r in rows] == [True, False, False, False, False]
    assert rows[0]["tool_calls"] == [{"id": "c1", "name": "get_weather", "arguments": '{"city": "Oslo"}',
                                      "validation": {"valid": True, "errors": []}}]
    assert rows[1]["tool_calls"][0]["validation"] == {
        "valid": False, "errors": [{"path": "$.city", "message": "7 is not of type 'string'"}]}
    assert rows[2]["tool_calls"][0]["validation"] == {
        "valid": False, "errors": [{"path": "$", "message": "No tool named 'get_time'."}]}
    assert rows[3]["tool_calls"][0]["validation"]["errors"][0]["path"] == "$"
    assert rows[3]["tool_calls"][0]["validation"]["errors"][0]["message"].startswith("Not valid JSON: ")
    assert rows[4]["tool_calls"] == [] and rows[4]["output"] == "It is sunny, I think."
    assert all(r["valid"] is None for r in rows)
    sent = openai_fake.chat_requests()[0].body
    assert sent["tools"][0]["function"]["name"] == "get_weather" and sent["stream"] is True
