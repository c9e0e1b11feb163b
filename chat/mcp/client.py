"""Talking to one MCP server with the official SDK: list its tools, call one, within a deadline.

Every failure comes back as `McpError` with a sentence a person (and the model) can act on; the
auth headers are handed to the HTTP client and never put in a message or a log line.
"""
import base64
import json
from contextlib import asynccontextmanager

import anyio

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp import types as mcp_types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from chat.models import McpServer


class McpError(Exception):
    """A call or discovery that failed, said plainly."""


@asynccontextmanager
async def _session(server: McpServer, headers: dict[str, str]):
    if server.transport == McpServer.STDIO:
        params = StdioServerParameters(command=server.command, args=[str(a) for a in server.args or []])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session
        return
    async with create_mcp_http_client(headers=headers) as http, \
            streamable_http_client(server.url, http_client=http) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def _leaves(error: BaseException) -> list[BaseException]:
    """The underlying exceptions of an anyio task group's ExceptionGroup."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _reason(error: BaseException) -> str:
    leaf = _leaves(error)[0]
    text = str(leaf).strip() or type(leaf).__name__
    return text[:300]


async def _run(server: McpServer, headers: dict, timeout: float, work, what: str):
    try:
        with anyio.fail_after(timeout):
            async with _session(server, headers) as session:
                return await work(session)
    except TimeoutError:
        raise McpError(f"The MCP server {server.name} did not answer {what} within {timeout:g} s.") from None
    except McpError:
        raise
    except Exception as error:  # connect refused, HTTP status, protocol error: one sentence each
        raise McpError(f"The MCP server {server.name} could not be reached for {what}: {_reason(error)}") from None


async def list_tools(server: McpServer, headers: dict, timeout: float) -> list[dict]:
    """The server's tools as {name, description, input_schema}."""
    async def work(session):
        tools, cursor = [], None
        while True:
            page = await session.list_tools(params=mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None)
            tools += [{"name": t.name, "description": t.description or "", "input_schema": t.input_schema or {}}
                      for t in page.tools]
            cursor = page.next_cursor
            if not cursor or len(tools) > 500:
                return tools

    return await _run(server, headers, timeout, work, "the list of its tools")


def _content_text(block) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return block.text
    if kind == "image":
        size = len(base64.b64decode(block.data or "", validate=False))
        return f"[image: {block.mime_type}, {size} bytes, not shown to the model]"
    if kind == "resource_link":
        return f"[resource: {block.uri}]"
    if kind == "resource":
        return getattr(block.resource, "text", None) or f"[resource: {block.resource.uri}]"
    return f"[{kind or 'unknown'} content]"


def result_text(result) -> tuple[str, bool]:
    """A CallToolResult as the text of a tool message, and whether the tool reported an error."""
    if result.structured_content is not None and not result.content:
        return json.dumps(result.structured_content, ensure_ascii=False), bool(result.is_error)
    text = "\n".join(_content_text(block) for block in result.content)
    return text, bool(result.is_error)


async def call_tool(server: McpServer, headers: dict, name: str, arguments: dict, timeout: float) -> tuple[str, bool]:
    """Run one tool; (text, is_error) as the server answered it."""
    async def work(session):
        return result_text(await session.call_tool(name, arguments))

    return await _run(server, headers, timeout, work, f"the call of {name}")
