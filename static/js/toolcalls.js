// Tool calls in the thread: a card per call (live while it streams, then pretty arguments and the
// server's verdict), tool messages as "result for call" blocks, and the box where a person (or the
// saved mocks) answers the calls still waiting. A call of an MCP tool is approved or denied instead of typed
// (static/js/mcp.js); the server runs it. Everything from a model or a tool goes in as text.
import { el } from "./dom.js";

const AUTO_ROUNDS = 8; // automatic mock replies in a row before a person has to look

export function prettyArguments(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (_) {
    return text || "";
  }
}

function errorText(error) {
  if (typeof error === "string") return { path: "", message: error };
  return { path: error.path || "$", message: error.message || "" };
}

function verdict(call, streaming) {
  const box = el("div", "tool-call-verdict");
  if (streaming) {
    box.dataset.verdict = "streaming";
    box.textContent = "arguments streaming…";
    return box;
  }
  const validation = call.validation;
  if (!validation) {
    box.dataset.verdict = "unchecked";
    box.textContent = "not checked";
    return box;
  }
  if (validation.valid) {
    box.dataset.verdict = "valid";
    box.textContent = "✓ valid";
    return box;
  }
  box.dataset.verdict = "invalid";
  box.append(el("span", "", "✗ invalid arguments"));
  const list = el("ul", "tool-call-errors");
  for (const raw of validation.errors || []) {
    const { path, message } = errorText(raw);
    const item = el("li");
    if (path) item.append(el("code", "", path), " ");
    item.append(message);
    list.append(item);
  }
  box.append(list);
  return box;
}

export function toolCallCards(message) {
  const box = el("div", "tool-calls");
  const streaming = message.status === "streaming";
  (message.tool_calls || []).forEach((call, index) => {
    if (!call) return;
    const card = el("section", "tool-call");
    card.dataset.index = String(index);
    if (call.id) card.dataset.callId = call.id;
    card.setAttribute("aria-label", `Tool call ${call.name || index + 1}`);
    const head = el("div", "tool-call-head");
    head.append(el("span", "tool-call-label", "Tool call"), el("span", "tool-call-name", call.name || "…"));
    if (call.id) head.append(el("span", "tool-call-id", call.id));
    card.append(head);
    card.append(el("pre", "tool-call-args", streaming ? call.arguments || "" : prettyArguments(call.arguments)));
    card.append(verdict(call, streaming));
    box.append(card);
  });
  return box;
}

// The body of a stored tool message.
export function toolResultBlock(message) {
  const box = el("div", "msg-body tool-result");
  const head = el("div", "tool-result-head");
  head.append("Result for call ", el("span", "tool-call-name", message.name || "?"));
  if (message.tool_call_id) head.append(" ", el("span", "tool-call-id", message.tool_call_id));
  box.append(head, el("pre", "tool-result-content", prettyArguments(message.content)));
  return box;
}

// The calls of the branch's last message when nothing answered them yet.
export function pendingCalls(thread) {
  const leaf = thread.messages.get(thread.leafId);
  if (!leaf || leaf.role !== "assistant" || leaf.status !== "complete") return null;
  const calls = (leaf.tool_calls || []).filter((c) => c && c.id);
  if (!calls.length || thread.children(leaf.id).length) return null;
  return { message: leaf, calls };
}

export class ToolResults {
  // onSubmit(results, {messageId}) sends chat.tool_result; editor gives the mocks; mcp knows the MCP tools.
  constructor({ thread, editor, mcp, onSubmit, canSubmit }) {
    this.thread = thread;
    this.editor = editor;
    this.mcp = mcp;
    this.decided = new Map(); // tool_call_id -> "mcp" (approved) or "deny"
    this.onSubmit = onSubmit;
    this.canSubmit = canSubmit;
    this.typed = new Map(); // tool_call_id -> text typed so far
    this.shownFor = null;
    this.autoRounds = 0;
    this.root = el("section", "tool-results");
    this.root.setAttribute("aria-label", "Tool results");
    this.root.hidden = true;
    document.getElementById("composer").before(this.root);
  }

  update() {
    const pending = this.thread.canWrite ? pendingCalls(this.thread) : null;
    if (!pending) {
      this.root.hidden = true;
      this.shownFor = null;
      return;
    }
    const servers = this.mcp ? this.mcp.servers.length : 0; // rebuilt once the MCP servers are known
    const key = `${pending.message.id}:${pending.calls.map((c) => c.id).join(",")}:${servers}`;
    if (key !== this.shownFor) this.build(pending, key);
    this.root.hidden = false;
    const undecided = this.undecided();
    this.submit.disabled = !this.canSubmit() || undecided > 0;
    this.submit.title = undecided ? "Approve or deny each MCP tool call first."
      : this.submit.disabled ? "Wait for the reply, or fix the tools, first." : "";
  }

  undecided() {
    return (this.areas || []).filter(({ server, call }) => server && !this.decided.has(call.id)).length;
  }

  build(pending, key) {
    this.shownFor = key;
    this.pending = pending;
    const head = el("div", "tool-results-head");
    head.append(el("h3", "", pending.calls.length > 1 ? `${pending.calls.length} tool calls are waiting` : "A tool call is waiting"));
    this.root.replaceChildren(head);
    this.areas = pending.calls.map((call) => {
      const server = this.mcp ? this.mcp.serverOf(call.name) : null;
      if (server) return this.approval(call, server);
      const label = el("label", "tool-result-label");
      const title = el("span", "tool-result-title");
      title.append("Result for ", el("strong", "tool-call-name", call.name), " ", el("span", "tool-call-id", call.id));
      label.append(title);
      const area = el("textarea", "tool-result-input");
      area.rows = 2;
      area.setAttribute("aria-label", `Result for ${call.name} (${call.id})`);
      const mock = this.editor.mockFor(call.name);
      area.value = this.typed.get(call.id) ?? mock ?? "";
      area.placeholder = "What the tool returned (text or JSON)";
      area.addEventListener("input", () => this.typed.set(call.id, area.value));
      area.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); this.send(); }
      });
      label.append(area);
      this.root.append(label);
      return { call, area };
    });
    this.alwaysBoxes();
    this.submit = el("button", "primary small", "Submit results");
    this.submit.type = "button";
    this.submit.addEventListener("click", () => this.send());
    this.root.append(this.submit);
  }

  // An MCP call: the person approves (the server runs it) or denies it.
  approval(call, server) {
    const group = el("fieldset", "tool-approval");
    const legend = el("legend", "tool-result-title");
    legend.append("Run ", el("strong", "tool-call-name", call.name), ` on ${server.name}? `, el("span", "tool-call-id", call.id));
    group.append(legend);
    for (const [run, text] of [["mcp", "Approve"], ["deny", "Deny"]]) {
      const radio = el("input");
      radio.type = "radio";
      radio.name = `approve-${call.id}`;
      radio.value = run;
      radio.checked = this.decided.get(call.id) === run;
      radio.addEventListener("change", () => { this.decided.set(call.id, run); this.update(); });
      const label = el("label", "check");
      label.append(radio, ` ${text}`);
      group.append(label);
    }
    this.root.append(group);
    return { call, server };
  }

  // One "always allow" switch per MCP server whose calls wait here.
  alwaysBoxes() {
    const servers = [...new Set(this.areas.filter((a) => a.server).map((a) => a.server))];
    for (const server of servers) {
      const box = el("input");
      box.type = "checkbox";
      box.checked = server.always_allow;
      box.addEventListener("change", () => this.mcp.setAlways(server, box.checked));
      const label = el("label", "check small");
      label.append(box, ` Always allow ${server.name} (its tools run without asking)`);
      this.root.append(label);
    }
  }

  results() {
    return this.areas.map(({ call, area, server }) => (server
      ? { tool_call_id: call.id, run: this.decided.get(call.id) || "mcp" }
      : { tool_call_id: call.id, content: area.value }));
  }

  send({ auto = false } = {}) {
    if (!this.pending || !this.canSubmit()) return;
    if (!auto) this.autoRounds = 0;
    if (!auto && this.undecided()) return;
    const results = this.results();
    results.forEach((r) => { this.typed.delete(r.tool_call_id); this.decided.delete(r.tool_call_id); });
    this.onSubmit(results, { messageId: this.pending.message.id });
  }

  // A call answered without asking: an MCP tool its server is always allowed for, or a mock when auto-reply is on.
  answersItself(call) {
    const server = this.mcp ? this.mcp.serverOf(call.name) : null;
    if (server) return server.always_allow;
    return this.editor.autoReplyOn() && this.editor.mockFor(call.name) !== null;
  }

  // After a reply of ours ends: answer its calls from the mocks and the always-allowed MCP servers.
  ended(frame, mine) {
    this.update();
    if (!mine || frame.status !== "complete") return;
    if (!(frame.tool_calls || []).length) {
      this.autoRounds = 0; // the loop came to an answer
      return;
    }
    if (!this.pending || this.pending.message.id !== frame.message_id) return;
    if (!this.pending.calls.every((call) => this.answersItself(call))) return;
    if (this.autoRounds >= AUTO_ROUNDS) {
      this.root.querySelector(".tool-results-head").append(
        el("span", "muted small", ` (auto-reply paused after ${AUTO_ROUNDS} rounds in a row: submit by hand to go on)`));
      return;
    }
    this.autoRounds += 1;
    this.send({ auto: true });
  }
}
