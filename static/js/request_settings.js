// The panels a request's settings come from: the model and its sampling (settings.js), the response format
// (structured.js), tools (tools.js), MCP servers (mcp.js) and the mode (modes.js). Read together for a frame,
// set together from a conversation's stored settings.
export class RequestSettings {
  constructor({ settings, format, tools, mcp, modeSwitch }) {
    this.settings = settings;
    this.format = format;
    this.tools = tools;
    this.mcp = mcp;
    this.modeSwitch = modeSwitch;
  }

  // The panels as they are now, before a mode adds its own fields.
  values() {
    return { ...this.settings.values(), ...this.format.values(), ...this.tools.values(), ...this.mcp.values() };
  }

  // What the current mode sends: the panels' values, and `extra` (the compared models).
  frame(extra = {}) {
    return this.modeSwitch.frame({ ...this.values(), ...extra });
  }

  // A conversation's stored settings, shown in every panel (and its mode chosen).
  apply(stored) {
    this.settings.apply(stored);
    this.tools.apply(stored);
    this.mcp.apply(stored);
    this.format.apply(stored.response_format);
    this.modeSwitch.apply(stored);
  }
}
