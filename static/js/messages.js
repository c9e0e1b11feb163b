// The message tree of one conversation and the branch on screen.
//
// Model output is untrusted. While a reply streams its deltas are appended as
// text; at stream.end the server's sanitized `html` replaces it. That `html`
// field is the only thing ever assigned to innerHTML here.
import { imageStrip } from "./attachments.js";
import { copyText, flash } from "./api.js";
import { toolCallCards, toolResultBlock } from "./toolcalls.js";
import { structuredView } from "./structured.js";
import { el } from "./dom.js";
import { reasoningBlock } from "./reasoning.js";
import { reviewControls } from "./message_review.js";
import { modeBody, modeOf } from "./modes.js";

const ROLE_LABELS = { user: "You", assistant: "Assistant", tool: "Tool", system: "System" };

function button(label, action, { aria, className = "ghost small" } = {}) {
  const node = el("button", className, label);
  node.type = "button";
  node.dataset.action = action;
  if (aria) node.setAttribute("aria-label", aria);
  return node;
}

// "12 in / 5 out tokens (3 reasoning)"; counts the server guessed from characters are marked as such.
function tokensText(usage) {
  const thinking = usage.reasoning_tokens ? ` (${usage.reasoning_tokens} reasoning)` : "";
  const counts = `${usage.prompt_tokens ?? "?"} in / ${usage.completion_tokens ?? "?"} out tokens${thinking}`;
  return usage.estimated ? `≈ ${counts}, estimated: the provider reported no usage` : counts;
}

export function metricsText(message) {
  const parts = [];
  if (message.model) parts.push(message.model);
  if (message.finish_reason) parts.push(`finish: ${message.finish_reason}`);
  const usage = message.usage || {};
  if (usage.prompt_tokens != null || usage.completion_tokens != null) parts.push(tokensText(usage));
  const metrics = message.metrics || {};
  if (metrics.ttft_ms != null) parts.push(`TTFT ${Math.round(metrics.ttft_ms)} ms`);
  if (metrics.tokens_per_s != null) parts.push(`${Number(metrics.tokens_per_s).toFixed(1)} tok/s`);
  if (message.cost != null) parts.push(`${usage.estimated ? "≈ " : ""}$${Number(message.cost).toFixed(6)}`);
  return parts.join(" · ");
}

// The answer has started: the reasoning above it folds away (the reader can open it again).
function foldReasoning(node) {
  const block = node.querySelector("details.reasoning");
  if (block) block.open = false;
}

export class Thread {
  constructor(root, { onAction }) {
    this.root = root;
    this.onAction = onAction;
    this.empty = document.getElementById("empty-state");
    this.clear();
    root.addEventListener("click", (event) => this.click(event));
  }

  clear() {
    this.messages = new Map();
    this.nodes = new Map();
    this.leafId = null;
    this.canWrite = true;
    this.owner = null;
    this.render();
  }

  load(detail) {
    this.clear();
    this.canWrite = detail.can_write;
    this.owner = detail.conversation.owner;
    detail.messages.forEach((m) => this.messages.set(m.id, m));
    this.leafId = detail.current_leaf_id ?? this.newestLeaf(null);
    this.render();
  }

  // The tree ---------------------------------------------------------------------

  children(parentId) {
    return [...this.messages.values()].filter((m) => (m.parent_id ?? null) === parentId).map((m) => m.id)
      .sort((a, b) => a - b);
  }

  newestLeaf(fromId) {
    const stack = fromId === null ? this.children(null) : [fromId];
    let best = null;
    while (stack.length) {
      const id = stack.pop();
      const kids = this.children(id);
      if (!kids.length && (best === null || id > best)) best = id;
      stack.push(...kids);
    }
    return best;
  }

  path() {
    const out = [];
    let node = this.messages.get(this.leafId);
    while (node) {
      out.push(node);
      node = this.messages.get(node.parent_id);
    }
    return out.reverse();
  }

  switchSibling(id, step) {
    const message = this.messages.get(id);
    const siblings = this.children(message.parent_id ?? null);
    const next = siblings[siblings.indexOf(id) + step];
    if (next === undefined) return;
    this.leafId = this.newestLeaf(next);
    this.render();
    this.onAction("leaf", { id: this.leafId });
  }

  // Frames ---------------------------------------------------------------------------

  upsert(summary, { follow = true } = {}) {
    const old = this.messages.get(summary.id) || {};
    this.messages.set(summary.id, { ...old, ...summary });
    // Its siblings' "‹ i/n ›" counts change with it.
    this.children(this.messages.get(summary.id).parent_id ?? null).forEach((id) => this.nodes.delete(id));
    if (follow) this.leafId = summary.id;
    this.render();
  }

  startStream(frame) {
    if (this.messages.has(frame.message_id)) return;
    this.upsert({
      id: frame.message_id, role: "assistant", content: "", html: "", parent_id: frame.parent_id ?? this.leafId,
      status: "streaming", provider: frame.provider, model: frame.model, tool_calls: [],
      request_id: frame.request_id, fallback: frame.fallback, mode: frame.mode || "chat",
    });
  }

  delta(frame) {
    const message = this.messages.get(frame.message_id);
    if (!message || message.status !== "streaming") return;
    const answerStarts = !message.content;
    message.content += frame.content;
    const node = this.nodes.get(message.id);
    if (!node) return;
    const follow = this.nearBottom();
    if (answerStarts) foldReasoning(node);
    (node.querySelector("[data-stream-text]") || node.querySelector(".msg-body")).textContent = message.content;
    if (follow) this.keepScrolled();
  }

  // stream.reasoning: more thinking, apart from the answer; `offset` lets a resumed reply skip what it has.
  reasoning(frame) {
    const message = this.messages.get(frame.message_id);
    if (!message || message.status !== "streaming") return;
    const have = message.reasoning || "";
    const skip = Math.max(0, have.length - (frame.offset ?? have.length));
    message.reasoning = have + (frame.content || "").slice(skip);
    const text = this.nodes.get(message.id)?.querySelector(".reasoning-text");
    if (text) text.textContent = message.reasoning;
    else this.refresh(message.id); // its first piece: the block appears
  }

  toolCallDelta(frame) {
    const message = this.messages.get(frame.message_id);
    if (!message) return;
    const calls = message.tool_calls = message.tool_calls || [];
    const call = calls[frame.index] = calls[frame.index] || { id: "", name: "", arguments: "" };
    if (frame.id) call.id = frame.id;
    if (frame.name) call.name = frame.name;
    call.arguments += frame.arguments_delta || "";
    this.refresh(message.id);
  }

  // Replies in flight when a conversation is opened (conversation.state).
  resume(streaming) {
    for (const entry of streaming) {
      const message = this.messages.get(entry.message_id);
      if (!message) continue;
      message.status = "streaming";
      message.content = entry.content || "";
      message.reasoning = entry.reasoning || "";
      message.tool_calls = entry.tool_calls || [];
      message.request_id = entry.request_id;
      this.refresh(message.id);
    }
  }

  endStream(frame) {
    const final = frame.message || {};
    const fields = ["content", "html", "status", "finish_reason", "tool_calls", "structured", "usage", "metrics",
      "cost", "reasoning", "logprobs"];
    const update = { id: frame.message_id };
    fields.forEach((name) => { if (frame[name] !== undefined) update[name] = frame[name]; });
    this.upsert({ ...update, ...final }, { follow: false });
  }

  setError(messageId, error) {
    const message = this.messages.get(messageId);
    if (!message || message.error) return;
    message.error = error;
    this.refresh(messageId);
  }

  streamingIds() {
    return [...this.messages.values()].filter((m) => m.status === "streaming").map((m) => m.id);
  }

  // Rendering ------------------------------------------------------------------------

  refresh(id) {
    this.nodes.delete(id);
    this.render();
  }

  render() {
    const path = this.path();
    const wanted = path.map((m) => this.node(m));
    if (this.tail) wanted.push(...this.tail(path)); // extra nodes after the branch (compare columns)
    this.empty.hidden = path.length > 0;
    const current = [...this.root.children].filter((n) => n !== this.empty);
    if (current.length !== wanted.length || current.some((n, i) => n !== wanted[i])) {
      this.root.replaceChildren(this.empty, ...wanted);
    }
    this.keepScrolled();
    if (this.onRender) this.onRender(); // the pending tool calls' result boxes (static/js/toolcalls.js)
  }

  keepScrolled() {
    this.root.scrollTop = this.root.scrollHeight;
  }

  nearBottom() {
    return this.root.scrollHeight - this.root.scrollTop - this.root.clientHeight < 120;
  }

  node(message) {
    const cached = this.nodes.get(message.id);
    if (cached) return cached;
    const node = this.build(message);
    this.nodes.set(message.id, node);
    return node;
  }

  build(message) {
    const article = el("article", `msg msg-${message.role}`);
    article.dataset.messageId = message.id;
    article.dataset.role = message.role;
    article.dataset.status = message.status || "complete";
    article.dataset.mode = message.mode || "chat";
    article.setAttribute("aria-label", `${message.role} message`);
    article.append(this.head(message));
    const thought = reasoningBlock(message);
    if (thought) article.append(thought);
    const prompt = this.messages.get(message.parent_id)?.content;
    article.append(message.role === "tool" ? toolResultBlock(message) : modeBody(message, { prompt }) || this.body(message));
    const images = imageStrip(message);
    if (images) article.append(images);
    const structured = structuredView(message);
    if (structured) article.append(structured);
    if (message.tool_calls && message.tool_calls.length) article.append(this.toolCalls(message));
    if (message.error || message.status === "error" || message.status === "interrupted") {
      article.append(this.errorBox(message));
    }
    if (message.role === "assistant" && message.status !== "streaming") {
      const meta = metricsText(message);
      if (meta) article.append(el("footer", "msg-meta", meta));
    }
    article.append(this.actions(message));
    return article;
  }

  head(message) {
    const head = el("header", "msg-head");
    let label = ROLE_LABELS[message.role] || message.role;
    if (message.role === "user" && this.owner && !this.canWrite) label = this.owner;
    if (message.role === "tool" && message.name) label = `Tool · ${message.name}`;
    label = modeOf(message.mode).labels?.[message.role] || label;
    head.append(el("span", "role", label));
    if (message.mode === "image") head.append(el("span", "mode-badge", "Image"));
    if (message.status && message.status !== "complete") {
      head.append(el("span", `status status-${message.status}`, message.status));
    }
    const siblings = this.children(message.parent_id ?? null);
    if (siblings.length > 1) {
      const index = siblings.indexOf(message.id);
      const nav = el("span", "siblings");
      const prev = button("‹", "prev", { aria: "Previous branch" });
      const next = button("›", "next", { aria: "Next branch" });
      prev.disabled = index === 0;
      next.disabled = index === siblings.length - 1;
      nav.append(prev, el("span", "sibling-count", `${index + 1}/${siblings.length}`), next);
      head.append(nav);
    }
    return head;
  }

  body(message) {
    const body = el("div", "msg-body");
    if (message.status === "streaming" || !message.html) {
      body.classList.add("plain");
      body.textContent = message.content || "";
      return body;
    }
    body.innerHTML = message.html; // the server's sanitized rendering (chat/rendering.py)
    body.querySelectorAll("pre").forEach((pre) => {
      const copy = button("Copy", "copy-code", { aria: "Copy code", className: "ghost small copy-code" });
      pre.before(copy);
    });
    return body;
  }

  toolCalls(message) {
    return toolCallCards(message); // static/js/toolcalls.js
  }

  errorBox(message) {
    const box = el("div", "msg-error");
    box.setAttribute("role", "alert");
    const error = message.error || {};
    const text = error.message || (message.status === "interrupted"
      ? "The server stopped while this reply was streaming." : "The provider returned an error.");
    box.append(el("span", "", text));
    if (this.canWrite && message.role === "assistant" && message.mode !== "image") {
      box.append(button("Retry", "retry", { className: "small" }));
    }
    return box;
  }

  actions(message) {
    const bar = el("div", "msg-actions");
    if (message.status === "streaming") return bar;
    bar.append(button("Copy", "copy", { aria: "Copy message" }));
    if (message.mode === "image") return bar; // made over HTTP (static/js/image_mode.js): no chat regenerate or edit
    if (this.canWrite && message.role === "user") bar.append(button("Edit", "edit"));
    if (message.role === "assistant") {
      if (this.canWrite) bar.append(button("Regenerate", "regenerate"));
      bar.append(button("View code", "code", { aria: "View code for this reply" }));
    }
    reviewControls(bar, message); // static/js/message_review.js
    return bar;
  }

  // Editing a user message: a new branch from its parent.
  edit(id) {
    const message = this.messages.get(id);
    const node = this.nodes.get(id);
    const body = node.querySelector(".msg-body");
    const form = el("form", "edit-form");
    const area = el("textarea");
    area.value = message.content;
    area.rows = Math.min(12, Math.max(3, message.content.split("\n").length + 1));
    area.setAttribute("aria-label", "Edit message");
    const save = el("button", "primary small", "Save and send");
    save.type = "submit";
    const cancel = button("Cancel", "cancel-edit");
    form.append(area, save, cancel);
    body.replaceWith(form);
    node.querySelector(".msg-actions").hidden = true;
    area.focus();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!area.value.trim()) return;
      // Kept open when it was not sent (too long, say), so nothing typed is lost.
      if (this.onAction("edit", { message, content: area.value }) !== false) this.refresh(id);
    });
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === "Escape") {
        event.stopPropagation();
        this.refresh(id);
      }
    });
  }

  click(event) {
    const target = event.target.closest("button[data-action]");
    if (!target) return;
    const article = target.closest("article.msg");
    const id = Number(article.dataset.messageId);
    const message = this.messages.get(id);
    switch (target.dataset.action) {
      case "prev": return this.switchSibling(id, -1);
      case "next": return this.switchSibling(id, 1);
      case "copy": return copyText(message.content).then(() => flash(target));
      case "copy-code": return copyText(target.nextElementSibling.textContent).then(() => flash(target));
      case "edit": return this.edit(id);
      case "cancel-edit": return this.refresh(id);
      default: return this.onAction(target.dataset.action, { message });
    }
  }
}
