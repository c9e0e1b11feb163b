// MCP servers in the tool lab: which of the admin's servers this conversation uses (the `mcp_servers`
// setting), "always allow" per server (each person's own), and every discovered tool with its schema.
// The model sees a tool `search` of the server `docs` as `docs__search` (docs/mcp.md).
import { api } from "./api.js";
import { el } from "./dom.js";

const SEPARATOR = "__";

export class McpServers {
  constructor(root, { onChange }) {
    this.root = root;
    this.onChange = onChange || (() => {});
    this.servers = [];
    this.chosen = new Set(); // slugs this conversation uses
    this.touched = false; // a person changed the choice: send it even when empty (it clears)
    this.root.hidden = true;
    this.load();
  }

  async load() {
    try {
      this.servers = (await api("GET", "/api/mcp/servers")).servers;
    } catch (error) {
      this.servers = [];
      this.root.hidden = false;
      this.root.replaceChildren(el("p", "muted small", `Could not load the MCP servers: ${error.message}`));
      return;
    }
    this.render();
  }

  render() {
    this.root.hidden = !this.servers.length;
    const head = el("div", "tools-head");
    head.append(el("h3", "", "MCP servers"));
    const list = el("div", "mcp-list");
    for (const server of this.servers) list.append(this.card(server));
    this.root.replaceChildren(head, list);
  }

  card(server) {
    const card = el("section", "mcp-server");
    card.dataset.slug = server.slug;
    card.setAttribute("aria-label", `MCP server ${server.name}`);
    const use = el("input");
    use.type = "checkbox";
    use.id = `mcp-use-${server.slug}`;
    use.checked = this.chosen.has(server.slug);
    use.addEventListener("change", () => {
      if (use.checked) this.chosen.add(server.slug); else this.chosen.delete(server.slug);
      this.touched = true;
      this.onChange();
    });
    const useLabel = el("label", "check");
    useLabel.append(use, ` Use ${server.name} in this conversation`);
    const always = el("input");
    always.type = "checkbox";
    always.id = `mcp-always-${server.slug}`;
    always.checked = server.always_allow;
    always.addEventListener("change", () => this.setAlways(server, always.checked));
    const alwaysLabel = el("label", "check");
    alwaysLabel.append(always, " Always allow its tools (run without asking me)");
    card.append(useLabel, alwaysLabel);
    if (server.error) card.append(el("p", "small mcp-error", `Last discovery failed: ${server.error}`));
    const details = el("details", "mcp-tools");
    details.append(el("summary", "", `${server.tools.length} tool${server.tools.length === 1 ? "" : "s"}`));
    for (const tool of server.tools) {
      const item = el("div", "mcp-tool");
      item.append(el("code", "tool-call-name", tool.name));
      if (tool.description) item.append(el("p", "small", tool.description));
      const schema = el("pre", "mcp-schema", JSON.stringify(tool.parameters, null, 2));
      schema.tabIndex = 0;
      schema.setAttribute("aria-label", `Input schema of ${tool.name}`);
      item.append(schema);
      details.append(item);
    }
    card.append(details);
    return card;
  }

  async setAlways(server, on) {
    try {
      const updated = await api(on ? "PUT" : "DELETE", `/api/mcp/servers/${encodeURIComponent(server.slug)}/always`);
      server.always_allow = updated.always_allow;
    } catch (error) {
      server.always_allow = !on;
    }
    const box = document.getElementById(`mcp-always-${server.slug}`);
    if (box) box.checked = server.always_allow;
    this.onChange();
  }

  values() {
    return this.chosen.size || this.touched ? { mcp_servers: [...this.chosen] } : {};
  }

  apply(settings) {
    this.chosen = new Set((settings && settings.mcp_servers) || []);
    this.touched = false;
    if (this.servers.length) this.render();
  }

  // The server behind a tool name the model called, if it is an MCP tool of this conversation.
  serverOf(name) {
    if (!name || !name.includes(SEPARATOR)) return null;
    const slug = name.split(SEPARATOR)[0];
    if (!this.chosen.has(slug)) return null; // the server runs only the tools of servers the conversation uses
    return this.servers.find((s) => s.slug === slug) || null;
  }
}
