"""Refreshing the tools an MCP server offers (the admin's save and its "Discover tools" action)."""
from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils import timezone

from chat.mcp.client import McpError, list_tools
from chat.models import McpServer


def discover(server: McpServer) -> str | None:
    """Ask the server for its tools and store them; the error said, or None when it answered."""
    try:
        tools = async_to_sync(list_tools)(server, server.headers(), settings.PLAYGROUND_MCP_TIMEOUT_SECONDS)
    except McpError as error:
        server.discovery_error = str(error)
        server.save(update_fields=["discovery_error"])
        return server.discovery_error
    server.tools, server.discovered, server.discovery_error = tools, timezone.now(), ""
    server.save(update_fields=["tools", "discovered", "discovery_error"])
    return None
