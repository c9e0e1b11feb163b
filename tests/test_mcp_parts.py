"""MCP pieces a person meets outside the chat loop: the admin, stdio servers, tool names, and result content."""
import base64
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse
from mcp import types

from chat.mcp import catalog
from chat.mcp.client import call_tool, result_text
from chat.mcp.discovery import discover
from chat.models import McpServer
from tests.fakes.mcp_server import McpFake

pytestmark = pytest.mark.django_db
SECRET = "mcp-admin-secret-DO-NOT-LEAK-9d3e"
ADD = reverse("admin:chat_mcpserver_add")


@pytest.fixture
def mcp_fake():
    with McpFake() as fake:
        yield fake


def form(url: str, **overrides) -> dict:
    return {"name": "Loopback tools", "slug": "tools", "transport": "http", "url": url, "command": "", "args": "[]",
            "enabled": "on", "headers": f"Authorization: Bearer {SECRET}\nX-Team: blue", **overrides}


def test_alice_registers_a_server_whose_headers_are_stored_encrypted_and_never_shown(client, alice, mcp_fake, caplog):
    client.force_login(alice)
    response = client.post(ADD, form(mcp_fake.url), follow=True)
    assert "Loopback tools: 2 tools discovered." in response.content.decode()
    server = McpServer.objects.get()
    assert server.headers() == {"Authorization": f"Bearer {SECRET}", "X-Team": "blue"}
    assert SECRET not in server.headers_encrypted and server.header_names == "Authorization, X-Team"
    assert any(h.get("authorization") == f"Bearer {SECRET}" and h.get("x-team") == "blue" for h in mcp_fake.headers)
    page = client.get(reverse("admin:chat_mcpserver_change", args=[server.pk])).content.decode()
    assert SECRET not in page and "Authorization, X-Team" in page
    assert SECRET not in caplog.text
    # Saved again with the headers box left blank: the stored headers stay.
    client.post(reverse("admin:chat_mcpserver_change", args=[server.pk]), form(mcp_fake.url, headers=""))
    assert McpServer.objects.get().headers()["X-Team"] == "blue"


def test_a_bad_header_line_or_a_missing_url_is_refused(client, alice):
    client.force_login(alice)
    page = client.post(ADD, form("", headers="no colon here")).content.decode()
    assert "Line 1 is not &#x27;Name: value&#x27;." in page and "A streamable HTTP server needs its URL." in page
    assert not McpServer.objects.exists()


def test_only_superusers_reach_the_mcp_admin(client, bob, django_user_model):
    staff = django_user_model.objects.create_user("dana", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(ADD).status_code == 403
    client.force_login(bob)
    assert client.get(ADD).status_code == 302  # to the admin's sign-in


def test_a_stdio_server_runs_as_a_command_here():
    server = McpServer.objects.create(name="Stdio tools", slug="stdio", transport=McpServer.STDIO, command=sys.executable,
                                      args=[str(Path(__file__).parent / "fakes" / "mcp_server.py")])
    assert discover(server) is None
    assert [t["name"] for t in server.tools] == ["slow_echo", "broken"]
    assert async_to_sync(call_tool)(server, {}, "slow_echo", {"text": "over stdio"}, 20) == ("echo: over stdio", False)


def test_long_or_odd_tool_names_fit_every_provider():
    assert catalog.tool_name("docs", "search") == "docs__search"
    assert catalog.tool_name("docs", "read.file v2") == "docs__read_file_v2"
    long_a, long_b = catalog.tool_name("docs", "x" * 80 + "a"), catalog.tool_name("docs", "x" * 80 + "b")
    assert len(long_a) == 64 and long_a != long_b


def test_image_and_structured_content_become_text_the_model_can_read():
    png = base64.b64encode(b"\x89PNG" + b"0" * 96).decode()
    mixed = types.CallToolResult(content=[types.TextContent(type="text", text="Here is the chart."),
                                          types.ImageContent(type="image", data=png, mime_type="image/png")])
    assert result_text(mixed) == ("Here is the chart.\n[image: image/png, 100 bytes, not shown to the model]", False)
    structured = types.CallToolResult(content=[], structured_content={"temp": 3}, is_error=False)
    assert result_text(structured) == ('{"temp": 3}', False)
