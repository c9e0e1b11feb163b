"""A real MCP server (the official SDK's MCPServer, streamable HTTP) on a loopback port, for tests.

Two tools: `slow_echo` answers with its text after `seconds` (0: at once), `broken` always fails.
`headers` records the HTTP headers of every request it got (to check the auth headers arrive).
"""
import asyncio
import socket
import threading
import time

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError


def _server() -> MCPServer:
    server = MCPServer("loopback-tools")

    @server.tool()
    async def slow_echo(text: str, seconds: float = 0) -> str:
        """Say `text` back after `seconds`."""
        await asyncio.sleep(seconds)
        return f"echo: {text}"

    @server.tool()
    def broken(reason: str) -> str:
        """Always fails, saying why."""
        raise ToolError(f"broken on purpose: {reason}")

    return server


class McpFake:
    def __init__(self):
        self.headers: list[dict[str, str]] = []
        app = _server().streamable_http_app()

        async def recording(scope, receive, send):
            if scope["type"] == "http":
                self.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
            await app(scope, receive, send)

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._uvicorn = uvicorn.Server(uvicorn.Config(recording, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._uvicorn.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def __enter__(self) -> "McpFake":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if time.monotonic() > deadline:
                raise RuntimeError("The MCP fake did not start.")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self._uvicorn.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def closed_port_url() -> str:
    """The URL of an MCP server that is down: a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/mcp"


if __name__ == "__main__":  # the same tools over stdio: `python tests/fakes/mcp_server.py`
    _server().run("stdio")
