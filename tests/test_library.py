"""Saved tool sets and schemas: checked on entry, shared with the team, changed by their owner."""
import json

import pytest

from chat.models import SavedSchema, ToolSet

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.mark.django_db
def test_a_tool_set_is_saved_and_shared_with_the_team(client, alice, bob):
    client.force_login(alice)
    response = _post(client, "/api/toolsets", {"name": "weather", "tools": [WEATHER], "mocks": {"get_weather": '{"temp": 3}'}})
    assert response.status_code == 201
    client.force_login(bob)
    items = client.get("/api/toolsets").json()["items"]
    assert [(i["name"], i["owner"], i["tools"], i["mocks"]) for i in items] == [
        ("weather", "alice", [WEATHER], {"get_weather": '{"temp": 3}'})]


@pytest.mark.django_db
@pytest.mark.parametrize("tool, field", [
    ({"type": "function", "function": {"name": "bad name!", "parameters": {"type": "object"}}}, "tools[0].name"),
    ({"type": "function", "function": {"name": "f", "parameters": {"type": "objekt"}}}, "tools[0].parameters"),
    ({"type": "function", "function": {"name": "f", "parameters": {"type": "object", "required": "city"}}},
     "tools[0].parameters"),
    ({"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}, "tools[0].parameters"),
    ({"function": "nope"}, "tools[0].tool"),
])
def test_a_tool_that_is_not_valid_is_refused_with_the_field_named(client, alice, tool, field):
    client.force_login(alice)
    response = _post(client, "/api/toolsets", {"name": "broken", "tools": [tool]})
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not ToolSet.objects.exists()
    check = _post(client, "/api/check/tool", {"tool": tool}).json()
    assert check["valid"] is False and check["errors"]


@pytest.mark.django_db
def test_the_editor_check_accepts_a_valid_tool_and_schema(client, bob):
    client.force_login(bob)
    assert _post(client, "/api/check/tool", {"tool": WEATHER}).json() == {"valid": True, "errors": {}}
    assert _post(client, "/api/check/schema", {"schema": {"type": "object"}}).json()["valid"] is True
    bad = _post(client, "/api/check/schema", {"schema": {"type": "object", "properties": {"a": {"minimum": "x"}}}}).json()
    assert bad["valid"] is False and "minimum" in bad["errors"]["schema"]


@pytest.mark.django_db
def test_only_the_owner_or_an_admin_changes_a_saved_schema(client, alice, bob, charlie):
    client.force_login(bob)
    created = _post(client, "/api/schemas", {"name": "person", "schema": {"type": "object"}, "strict": True}).json()
    url = f"/api/schemas/{created['id']}"
    client.force_login(alice)  # an admin may
    assert client.put(url, json.dumps({"schema": {"type": "array"}}), content_type="application/json").status_code == 200
    other = _post(client, "/api/schemas", {"name": "alices", "schema": {"type": "object"}}).json()
    client.force_login(bob)  # a teammate may not change alice's
    assert client.delete(f"/api/schemas/{other['id']}").status_code == 403
    assert client.delete(url).status_code == 200
    client.logout()
    client.force_login(charlie)  # an account that is off is not signed in
    assert client.get("/api/schemas").status_code == 403
    assert list(SavedSchema.objects.values_list("name", flat=True)) == ["alices"]


@pytest.mark.django_db
def test_a_duplicate_name_is_refused_clearly(client, alice):
    client.force_login(alice)
    _post(client, "/api/schemas", {"name": "x", "schema": {"type": "object"}})
    response = _post(client, "/api/schemas", {"name": "x", "schema": {"type": "object"}})
    assert response.status_code == 400 and "taken" in response.json()["errors"]["name"]
