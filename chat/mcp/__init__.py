"""Tools from MCP servers: discovery, the names the model sees, and running a call the user approved."""
