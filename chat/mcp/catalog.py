"""The MCP tools a conversation offers the model, under names that cannot clash with the user's own.

A tool `search` of the server `docs` is `docs__search` to the model: the slug never holds "__", so the
first "__" in a name always separates the two. Names keep to what every provider accepts
([a-zA-Z0-9_-], at most 64 characters); a longer one ends in a short hash of the full name.
"""
import hashlib
import re
from dataclasses import dataclass

from chat.errors import Refused
from chat.models import McpServer

SEPARATOR = "__"
MAX_NAME = 64


def tool_name(slug: str, tool: str) -> str:
    name = f"{slug}{SEPARATOR}{re.sub(r'[^a-zA-Z0-9_-]', '_', tool)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(tool.encode()).hexdigest()[:8]
    return f"{name[:MAX_NAME - 9]}_{digest}"


def as_function(slug: str, tool: dict) -> dict:
    """A discovered tool as an OpenAI function tool, under its namespaced name."""
    description = tool.get("description") or ""
    return {"type": "function", "function": {
        "name": tool_name(slug, tool["name"]), "description": description[:1024],
        "parameters": tool.get("input_schema") or {"type": "object", "properties": {}}}}


def enabled(slugs: list[str]) -> list[McpServer]:
    """The enabled servers a conversation names, refusing a name that is unknown or switched off."""
    if not slugs:
        return []
    servers = {s.slug: s for s in McpServer.objects.filter(slug__in=slugs)}
    for slug in slugs:
        server = servers.get(slug)
        if server is None or not server.enabled:
            raise Refused("bad_request", f"The MCP server {slug!r} is unknown or switched off by an admin.")
    return [servers[slug] for slug in slugs]


def function_tools(slugs: list[str], own: list[dict]) -> list[dict]:
    """The tools of a conversation's MCP servers as function tools, refused where one has the name of an `own` tool."""
    tools = [as_function(server.slug, tool) for server in enabled(slugs) for tool in server.tools]
    taken = {tool["function"]["name"] for tool in own} & {tool["function"]["name"] for tool in tools}
    if taken:
        raise Refused("bad_request", f"Your tool {min(taken)!r} has the name of an MCP server's tool: rename it.")
    return tools


@dataclass
class Call:
    """A model's call of an MCP tool, mapped back to its server and the tool's own name."""

    server: McpServer
    tool: dict  # {name, description, input_schema}


def find(name: str, slugs: list[str]) -> Call | None:
    """The server (one of `slugs`) and tool behind a namespaced name (None: not an MCP tool it offers)."""
    slug, separator, _ = name.partition(SEPARATOR)
    if not separator or slug not in slugs:
        return None
    server = McpServer.objects.filter(slug=slug, enabled=True).first()
    for tool in server.tools if server else []:
        if tool_name(server.slug, tool["name"]) == name:
            return Call(server, tool)
    return None


def describe(server: McpServer, user) -> dict:
    """A server as the tool lab shows it; its headers and command line never leave the server."""
    return {"slug": server.slug, "name": server.name, "transport": server.transport,
            "always_allow": server.always_allowed_by.filter(pk=user.pk).exists(),
            "discovered": server.discovered.isoformat() if server.discovered else None,
            "error": server.discovery_error,
            "tools": [{**as_function(server.slug, t)["function"], "tool": t["name"]} for t in server.tools]}
