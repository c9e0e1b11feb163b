"""Export as JSON and Markdown: the settings, the tools, the tool messages; never a key."""
import json

import pytest

from chat import export
from chat.models import Conversation, Message
from tests.conftest import TEST_KEY
from tests.test_history_views import make_conversation, signed_in

pytestmark = pytest.mark.django_db

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


@pytest.fixture
def tool_chat(alice, provider):
    settings = {"provider": "loopback", "model": "fake-model", "system": "Be brief.",
                "params": {"temperature": 0.2, "stop": ["END"]}, "tools": [WEATHER_TOOL], "tool_choice": "auto"}
    chat = Conversation.objects.create(owner=alice, title="Weather in Paris", settings=settings)
    question = Message.objects.create(conversation=chat, role="user", content="Weather in Paris?", author=alice)
    call = Message.objects.create(
        conversation=chat, parent=question, role="assistant", content="", finish_reason="tool_calls",
        tool_calls=[{"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'}],
        provider="loopback", model="fake-model", request=settings,
    )
    result = Message.objects.create(conversation=chat, parent=call, role="tool", content='{"temp_c": 21}',
                                    tool_call_id="call_1", name="get_weather", author=alice)
    Message.objects.create(conversation=chat, parent=result, role="assistant", content="It is 21 °C in Paris.",
                           provider="loopback", model="fake-model", finish_reason="stop", request=settings,
                           usage={"prompt_tokens": 40, "completion_tokens": 8})
    return chat


def test_json_export_has_settings_tools_and_every_message(client, alice, tool_chat):
    response = signed_in(client, alice).get(f"/api/conversations/{tool_chat.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="weather-in-paris-{tool_chat.pk}.json"'
    data = json.loads(response.content)
    assert data["conversation"]["settings"]["tools"] == [WEATHER_TOOL]
    assert data["conversation"]["settings"]["tool_choice"] == "auto"
    assert data["conversation"]["settings"]["system"] == "Be brief."
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert data["messages"][1]["tool_calls"][0]["name"] == "get_weather"
    assert data["messages"][2]["tool_call_id"] == "call_1"
    assert data["messages"][3]["request"]["tools"] == [WEATHER_TOOL]
    assert data["current_branch"] == [m["id"] for m in data["messages"]]


def test_markdown_export_reads_as_the_conversation(client, alice, tool_chat):
    response = signed_in(client, alice).get(f"/api/conversations/{tool_chat.pk}/export.md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith("# Weather in Paris\n")
    assert "### System prompt" in text and "Be brief." in text
    assert "### Tools" in text and '"get_weather"' in text
    assert "- **tool_choice:** \"auto\"" in text
    assert "**Tool call** `get_weather` (call_1)" in text
    assert "## Tool · get_weather (call_1)" in text
    assert "It is 21 °C in Paris." in text


def test_markdown_export_follows_the_current_branch(alice):
    chat = make_conversation(alice, "Branches", turns=(("Q", "first answer"),))
    question = chat.messages.get(role="user")
    Message.objects.create(conversation=chat, parent=question, role="assistant", content="second answer")
    text = export.as_markdown(chat)
    assert "second answer" in text and "first answer" not in text


def test_markdown_export_names_a_function_tool_choice_and_parallel_calls(alice):
    chat = make_conversation(alice, "Named", turns=(("Q", "A"),))
    chat.settings = {"tools": [WEATHER_TOOL], "parallel_tool_calls": False,
                     "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}
    text = export.as_markdown(chat)
    assert '- **tool_choice:** {"type": "function", "function": {"name": "get_weather"}}' in text
    assert "- **parallel_tool_calls:** false" in text


def test_a_fence_inside_a_message_cannot_break_out():
    assert export._fence("a ``` b") == "````\na ``` b\n````"


def test_exports_never_carry_the_key(client, alice, bob, provider, tool_chat):
    # Even a key that somehow ended up in stored settings is not exported: only known settings are.
    tool_chat.settings = {**tool_chat.settings, "api_key": TEST_KEY}
    tool_chat.save()
    for user in (alice, bob):
        signed_in(client, user)
        for suffix in ("export.json", "export.md", "code"):
            body = client.get(f"/api/conversations/{tool_chat.pk}/{suffix}").content.decode()
            assert TEST_KEY not in body
            assert provider.api_key_encrypted not in body


def test_a_teammate_exports_a_team_conversation_but_not_a_private_one(client, alice, bob, tool_chat):
    signed_in(client, bob)
    assert client.get(f"/api/conversations/{tool_chat.pk}/export.json").status_code == 200
    tool_chat.visibility = Conversation.PRIVATE
    tool_chat.save()
    assert client.get(f"/api/conversations/{tool_chat.pk}/export.json").status_code == 404
    assert client.get(f"/api/conversations/{tool_chat.pk}/export.md").status_code == 404


def test_charlie_exports_nothing(client, charlie, tool_chat):
    client.force_login(charlie)
    assert client.get(f"/api/conversations/{tool_chat.pk}/export.json").status_code == 403
    assert client.get(f"/api/conversations/{tool_chat.pk}/export.md").status_code == 403


def test_view_code_replays_tool_calls_and_results(client, alice, provider, tool_chat):
    final = tool_chat.messages.filter(role="assistant").last()
    data = signed_in(client, alice).get(f"/api/conversations/{tool_chat.pk}/code", {"message_id": final.pk}).json()
    body = data["body"]
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][2]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert body["messages"][3] == {"role": "tool", "content": '{"temp_c": 21}', "tool_call_id": "call_1"}
    assert body["tools"] == [WEATHER_TOOL] and body["tool_choice"] == "auto"
    assert body["stop"] == ["END"]
    assert "tools=[{'type': 'function'" in data["python"]
