// The tool editor in the settings panel: OpenAI function tools as JSON, checked as they are typed
// (JSON.parse here, then POST /api/check/tool), saved tool sets with their mock results, tool_choice and
// parallel_tool_calls. Nothing is sent while a tool has an error: problem() names it.
import { api } from "./api.js";
import { button, el } from "./dom.js";

const CHECK_DELAY_MS = 300;
const SKELETON = {
  type: "function",
  function: {
    name: "",
    description: "",
    parameters: { type: "object", properties: {}, required: [] },
  },
};

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

function toolName(tool) {
  const fn = tool && typeof tool === "object" ? tool.function : null;
  return fn && typeof fn.name === "string" ? fn.name : "";
}

export class ToolEditor {
  constructor(root, { me, onChange }) {
    this.root = root;
    this.me = me || {};
    this.onChange = onChange || (() => {});
    this.items = []; // {node, area, mock, errors, parsed, state: "ok"|"error"|"checking", timer, seq}
    this.sets = [];
    this.parallelTouched = false;
    this.build();
    this.refreshSets();
  }

  // Layout -------------------------------------------------------------------------------

  build() {
    this.root.replaceChildren();
    const head = el("div", "tools-head");
    head.append(el("h3", "", "Tools"));
    this.count = el("span", "muted small", "");
    head.append(this.count);

    const sets = el("div", "toolset-row");
    this.setSelect = el("select");
    this.setSelect.id = "toolset";
    this.setSelect.setAttribute("aria-label", "Tool set");
    this.setSelect.addEventListener("change", () => this.loadSet());
    this.updateSet = button("Update set");
    this.updateSet.addEventListener("click", () => this.saveSet({ update: true }));
    this.deleteSet = button("Delete set", "ghost small danger");
    this.deleteSet.addEventListener("click", () => this.removeSet());
    sets.append(this.setSelect, this.updateSet, this.deleteSet);

    const save = el("div", "toolset-row");
    this.setName = el("input");
    this.setName.setAttribute("aria-label", "Tool set name");
    this.setName.placeholder = "Tool set name";
    this.setName.maxLength = 100;
    const saveButton = button("Save as new set");
    saveButton.addEventListener("click", () => this.saveSet({ update: false }));
    save.append(this.setName, saveButton);
    this.setOwner = el("p", "muted small toolset-owner");
    this.setStatus = el("p", "muted small toolset-status");
    this.setStatus.setAttribute("role", "status");

    this.list = el("div", "tool-list");
    const add = button("Add tool", "small");
    add.addEventListener("click", () => {
      const item = this.addTool(SKELETON);
      item.area.focus();
      this.changed();
    });

    const choiceLabel = el("label", "", "Tool choice");
    choiceLabel.htmlFor = "tool-choice";
    this.choice = el("select");
    this.choice.id = "tool-choice";
    this.choice.addEventListener("change", () => this.onChange());

    this.parallel = el("input");
    this.parallel.type = "checkbox";
    this.parallel.id = "parallel-tool-calls";
    this.parallel.addEventListener("change", () => { this.parallelTouched = true; this.onChange(); });
    const parallelLabel = el("label", "check", "");
    parallelLabel.append(this.parallel, " Parallel tool calls");

    this.autoReply = el("input");
    this.autoReply.type = "checkbox";
    this.autoReply.id = "auto-reply-mocks";
    const autoLabel = el("label", "check", "");
    autoLabel.append(this.autoReply, " Auto-reply with mocks");

    this.options = el("div", "tool-options");
    this.options.append(choiceLabel, this.choice, parallelLabel, autoLabel);
    this.root.append(head, sets, this.setOwner, save, this.setStatus, this.list, add, this.options);
    this.fillChoice();
  }

  addTool(tool, mock = "") {
    const item = { errors: [], parsed: tool, state: "ok", seq: 0, timer: null };
    item.node = el("div", "tool-item");
    const head = el("div", "tool-item-head");
    item.title = el("span", "tool-item-title");
    const remove = button("Remove", "ghost small danger");
    remove.addEventListener("click", () => this.removeTool(item));
    head.append(item.title, remove);
    item.area = el("textarea", "tool-json");
    item.area.rows = 10;
    item.area.spellcheck = false;
    item.area.value = pretty(tool);
    item.area.addEventListener("input", () => { this.check(item); this.changed(); });
    item.errorBox = el("ul", "tool-errors");
    item.errorBox.setAttribute("aria-live", "polite");
    item.mock = el("textarea", "tool-mock");
    item.mock.rows = 2;
    item.mock.placeholder = "Mock result (text or JSON), optional";
    item.mock.value = mock;
    item.remove = remove;
    item.node.append(head, item.area, item.errorBox, item.mock);
    this.items.push(item);
    this.list.append(item.node);
    this.label();
    this.check(item);
    return item;
  }

  removeTool(item) {
    clearTimeout(item.timer);
    item.node.remove();
    this.items = this.items.filter((i) => i !== item);
    this.label();
    this.changed();
  }

  label() {
    this.items.forEach((item, n) => {
      const name = toolName(item.parsed);
      item.title.textContent = `Tool ${n + 1}${name ? ` · ${name}` : ""}`;
      item.area.setAttribute("aria-label", `Tool ${n + 1} JSON`);
      item.mock.setAttribute("aria-label", `Mock result for tool ${n + 1}`);
      item.remove.setAttribute("aria-label", `Remove tool ${n + 1}`);
    });
    this.count.textContent = this.items.length ? `${this.items.length} defined` : "none";
  }

  // Checking -------------------------------------------------------------------------------

  check(item) {
    clearTimeout(item.timer);
    const seq = ++item.seq;
    let tool;
    try {
      tool = JSON.parse(item.area.value);
    } catch (error) {
      item.parsed = null;
      return this.showErrors(item, [`JSON: ${error.message}`]);
    }
    item.parsed = tool;
    item.state = "checking";
    this.showState(item);
    item.timer = setTimeout(async () => {
      let answer;
      try {
        answer = await api("POST", "/api/check/tool", { tool });
      } catch (error) {
        answer = { valid: false, errors: { tool: `Could not check: ${error.message}` } };
      }
      if (seq !== item.seq) return; // typed again meanwhile
      const errors = Object.entries(answer.errors || {}).map(([field, text]) => `${field}: ${text}`);
      this.showErrors(item, errors);
    }, CHECK_DELAY_MS);
    return undefined;
  }

  showErrors(item, errors) {
    item.errors = errors;
    item.state = errors.length ? "error" : "ok";
    this.showState(item);
    this.label();
    this.fillChoice();
    this.onChange();
  }

  showState(item) {
    const errors = [...item.errors];
    if (item.state === "ok") errors.push(...this.duplicateErrors(item));
    item.errorBox.replaceChildren(...errors.map((text) => el("li", "", text)));
    item.node.dataset.state = item.state === "ok" && errors.length ? "error" : item.state;
    item.area.setAttribute("aria-invalid", String(item.node.dataset.state === "error"));
  }

  duplicateErrors(item) {
    const name = toolName(item.parsed);
    const first = this.items.find((i) => i.state === "ok" && toolName(i.parsed) === name);
    return name && first && first !== item ? [`name: another tool is already named "${name}".`] : [];
  }

  changed() {
    this.items.forEach((item) => this.showState(item));
    this.fillChoice();
    this.onChange();
  }

  // Why nothing may be sent now, or null.
  problem() {
    const index = this.items.findIndex((i) => i.node.dataset.state !== "ok");
    if (index < 0) return null;
    const item = this.items[index];
    if (item.state === "checking") return `Checking tool ${index + 1}…`;
    return `Tool ${index + 1} has an error: fix it to send.`;
  }

  // Values sent with every frame ---------------------------------------------------------------

  tools() {
    return this.items.filter((i) => i.parsed).map((i) => i.parsed);
  }

  names() {
    return this.tools().map(toolName).filter(Boolean);
  }

  fillChoice() {
    const current = this.choice.value || "auto";
    const options = ["auto", "none", "required"].map((v) => [v, v]);
    for (const name of [...new Set(this.names())]) options.push([`function:${name}`, `function: ${name}`]);
    this.choice.replaceChildren(...options.map(([value, label]) => {
      const node = el("option", "", label);
      node.value = value;
      return node;
    }));
    this.choice.value = options.some(([v]) => v === current) ? current : "auto";
  }

  toolChoice() {
    const value = this.choice.value;
    if (!value.startsWith("function:")) return value;
    return { type: "function", function: { name: value.slice("function:".length) } };
  }

  values() {
    const tools = this.tools();
    if (!tools.length) return {};
    const out = { tools, tool_choice: this.toolChoice() };
    if (this.parallelTouched) out.parallel_tool_calls = this.parallel.checked;
    return out;
  }

  mocks() {
    const out = {};
    for (const item of this.items) {
      const name = toolName(item.parsed);
      if (name && item.mock.value.trim()) out[name] = item.mock.value;
    }
    return out;
  }

  mockFor(name) {
    const mock = this.mocks()[name];
    return mock === undefined ? null : mock;
  }

  autoReplyOn() {
    return this.autoReply.checked;
  }

  // A conversation's stored settings, or a tool set, replace what is in the editor.
  setTools(tools, mocks) {
    this.items.forEach((item) => clearTimeout(item.timer));
    this.items = [];
    this.list.replaceChildren();
    for (const tool of tools || []) this.addTool(tool, (mocks || {})[toolName(tool)] || "");
    this.label();
    this.changed();
  }

  apply(settings) {
    if (!settings) return;
    const kept = this.mocks();
    this.setTools(settings.tools || [], kept);
    const choice = settings.tool_choice;
    this.choice.value = choice && typeof choice === "object" ? `function:${choice.function.name}` : choice || "auto";
    if (!this.choice.value) this.choice.value = "auto";
    this.parallelTouched = typeof settings.parallel_tool_calls === "boolean";
    this.parallel.checked = settings.parallel_tool_calls === true;
    this.onChange();
  }

  // Tool sets (shared with the team) ---------------------------------------------------------------

  async refreshSets(selectId) {
    try {
      this.sets = (await api("GET", "/api/toolsets")).items;
    } catch (error) {
      this.status(`Could not load tool sets: ${error.message}`);
      return;
    }
    const keep = selectId ?? this.setSelect.value;
    const none = el("option", "", this.sets.length ? "Load a tool set…" : "No saved tool sets");
    none.value = "";
    this.setSelect.replaceChildren(none, ...this.sets.map((set) => {
      const node = el("option", "", set.owner === this.me.username ? set.name : `${set.name} (${set.owner})`);
      node.value = String(set.id);
      return node;
    }));
    this.setSelect.value = this.sets.some((s) => String(s.id) === String(keep)) ? String(keep) : "";
    this.setButtons();
  }

  selectedSet() {
    return this.sets.find((s) => String(s.id) === this.setSelect.value) || null;
  }

  setButtons() {
    const set = this.selectedSet();
    const mine = set && set.owner === this.me.username;
    // Only the one who saved a set changes it (or an admin, over the API): others see whose it is.
    for (const node of [this.updateSet, this.deleteSet]) node.hidden = !mine;
    this.setOwner.textContent = set && !mine ? `Saved by ${set.owner}: only they or an admin can change it.` : "";
  }

  loadSet() {
    const set = this.selectedSet();
    this.setButtons();
    if (!set) return;
    this.setTools(set.tools, set.mocks);
    this.setName.value = set.name;
    this.status(`Loaded "${set.name}".`);
  }

  async settled() {
    for (let n = 0; n < 100 && this.items.some((i) => i.state === "checking"); n += 1) {
      await new Promise((resolve) => { setTimeout(resolve, 50); });
    }
  }

  async saveSet({ update }) {
    await this.settled();
    if (this.problem()) return this.status("Fix the tools before saving them.");
    const body = { tools: this.tools(), mocks: this.mocks() };
    const set = this.selectedSet();
    try {
      let saved;
      if (update && set) saved = await api("PUT", `/api/toolsets/${set.id}`, { ...body, name: set.name });
      else saved = await api("POST", "/api/toolsets", { ...body, name: this.setName.value.trim() });
      await this.refreshSets(saved.id);
      this.status(update ? `Updated "${saved.name}".` : `Saved "${saved.name}".`);
    } catch (error) {
      this.status(error.message || "Could not save the tool set.");
    }
    return undefined;
  }

  async removeSet() {
    const set = this.selectedSet();
    if (!set) return;
    if (this.deleteSet.dataset.armed !== "1") {
      this.deleteSet.dataset.armed = "1";
      this.deleteSet.textContent = "Really delete?";
      setTimeout(() => { this.deleteSet.dataset.armed = ""; this.deleteSet.textContent = "Delete set"; }, 4000);
      return;
    }
    this.deleteSet.dataset.armed = "";
    this.deleteSet.textContent = "Delete set";
    try {
      await api("DELETE", `/api/toolsets/${set.id}`);
      await this.refreshSets("");
      this.status(`Deleted "${set.name}".`);
    } catch (error) {
      this.status(error.message);
    }
  }

  status(text) {
    this.setStatus.textContent = text;
  }
}
