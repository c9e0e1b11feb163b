// Side-by-side compare: 2 to 4 provider/model pairs answer one message at once.
//
// The picker lives in the settings panel. The view shows the replies as columns under the user
// message while they stream and after; each reply is a sibling branch of that message, and
// "Continue with this one" makes one of them the current branch (the next send's parent).
import { button, el } from "./dom.js";

const MIN = 2;
const MAX = 4;

// The settings: a toggle and the pairs ---------------------------------------------------------

export class ComparePicker {
  constructor(root, providers, { onChange } = {}) {
    this.root = root;
    this.providers = providers;
    this.onChange = () => {};
    this.toggle = el("input");
    this.toggle.type = "checkbox";
    this.toggle.id = "compare-toggle";
    const label = el("label", "inline-check");
    label.htmlFor = "compare-toggle";
    label.append(this.toggle, document.createTextNode(" Compare models side by side"));
    this.rows = el("div", "compare-rows");
    this.add = button("Add a model", "ghost small");
    this.add.id = "compare-add";
    this.box = el("div", "compare-picker");
    this.box.append(this.rows, this.add);
    root.append(label, this.box);
    this.toggle.addEventListener("change", () => this.show());
    this.add.addEventListener("click", () => this.addRow());
    this.show();
    this.onChange = onChange || (() => {});
  }

  get enabled() {
    return this.toggle.checked;
  }

  show() {
    this.box.hidden = !this.enabled;
    if (this.enabled) while (this.rows.children.length < MIN) this.addRow();
    this.onChange();
  }

  addRow() {
    const n = this.rows.children.length;
    if (n >= MAX) return;
    const row = el("div", "compare-row");
    const provider = el("select");
    const model = el("select");
    provider.setAttribute("aria-label", `Compare provider ${n + 1}`);
    model.setAttribute("aria-label", `Compare model ${n + 1}`);
    this.providers.forEach((p) => provider.append(new Option(p.name, p.slug)));
    const remove = button("✕", "ghost small");
    remove.setAttribute("aria-label", `Remove compared model ${n + 1}`);
    row.append(provider, model, remove);
    this.rows.append(row);
    const fill = () => {
      const found = this.providers.find((p) => p.slug === provider.value);
      model.replaceChildren(...(found ? found.models : []).map((m) => new Option(m.name, m.id)));
      // A new row starts on a model the other rows do not use yet.
      const used = [...this.rows.children].filter((other) => other !== row)
        .map((other) => [...other.querySelectorAll("select")].map((select) => select.value).join("|"));
      const fresh = found && found.models.find((m) => !used.includes(`${found.slug}|${m.id}`));
      if (fresh) model.value = fresh.id;
    };
    provider.addEventListener("change", fill);
    remove.addEventListener("click", () => {
      if (this.rows.children.length <= MIN) return;
      row.remove();
      this.relabel();
    });
    fill();
    this.relabel();
  }

  relabel() {
    [...this.rows.children].forEach((row, i) => {
      const [provider, model, remove] = row.children;
      provider.setAttribute("aria-label", `Compare provider ${i + 1}`);
      model.setAttribute("aria-label", `Compare model ${i + 1}`);
      remove.setAttribute("aria-label", `Remove compared model ${i + 1}`);
      remove.hidden = this.rows.children.length <= MIN;
    });
    this.add.hidden = this.rows.children.length >= MAX;
    this.onChange();
  }

  values() {
    if (!this.enabled) return {};
    const compare = [...this.rows.children].map((row) => {
      const [provider, model] = row.querySelectorAll("select");
      return { provider: provider.value, model: model.value };
    }).filter((pair) => pair.provider && pair.model);
    return { compare };
  }

  blockReason() {
    if (!this.enabled) return "";
    const count = (this.values().compare || []).length;
    return count < MIN ? "Pick at least two models to compare." : "";
  }
}

// The columns under the user message ------------------------------------------------------------

export class CompareView {
  constructor(thread, { onCancel, onChange }) {
    this.thread = thread;
    this.onCancel = onCancel;
    this.onChange = onChange;
    this.set = null; // {base, models, parentId, columns: [messageId|undefined]}
    this.container = el("section", "compare");
    this.container.setAttribute("aria-label", "Compared replies");
    this.container.addEventListener("click", (event) => this.click(event));
    thread.tail = () => this.nodes();
  }

  // A send with `compare` is on its way; its replies are `<base>:N`.
  begin(base, models) {
    this.set = { base, models, parentId: null, columns: [] };
  }

  // A conversation just loaded: replies sharing a `compare_set` under the question on screen show as columns
  // again, as they did while streaming. Opened at such a reply nobody went on from (not a leaf the user chose,
  // `chosen`), the question is shown with its columns.
  restore({ chosen = false } = {}) {
    const thread = this.thread;
    this.set = null;
    const leaf = thread.messages.get(thread.leafId);
    if (!leaf) return;
    const question = !chosen && leaf.compare_set && !thread.children(leaf.id).length ? leaf.parent_id : leaf.id;
    const replies = thread.children(question).map((id) => thread.messages.get(id)).filter((m) => m.compare_set);
    const newest = replies.length ? replies[replies.length - 1].compare_set : null;
    const columns = replies.filter((m) => m.compare_set === newest);
    if (columns.length < MIN) return;
    this.set = {
      base: newest, parentId: question, columns: columns.map((m) => m.id),
      models: columns.map((m) => ({ provider: m.provider, model: m.model })),
    };
    thread.leafId = question;
    thread.render();
  }

  column(requestId) {
    if (!this.set || typeof requestId !== "string") return null;
    const match = requestId.match(/^(.*):(\d+)$/);
    return match && match[1] === this.set.base ? Number(match[2]) : null;
  }

  owns(frame) {
    return this.column(frame.request_id) !== null;
  }

  // stream.start of one column: stored in the thread without moving the current branch off the question.
  start(frame) {
    const n = this.column(frame.request_id);
    if (n === null) return false;
    this.set.parentId = frame.parent_id;
    this.set.columns[n] = frame.message_id;
    this.thread.leafId = frame.parent_id;
    this.thread.upsert({
      id: frame.message_id, role: "assistant", content: "", html: "", parent_id: frame.parent_id,
      status: "streaming", provider: frame.provider, model: frame.model, tool_calls: [],
      request_id: frame.request_id, fallback: frame.fallback,
    }, { follow: false });
    return true;
  }

  // Shown while the current branch ends at the compared question.
  get showing() {
    return Boolean(this.set && this.set.parentId !== null && this.thread.leafId === this.set.parentId
      && this.thread.messages.has(this.set.parentId));
  }

  blockReason() {
    if (!this.showing) return "";
    const streaming = this.set.columns.some((id) => (this.thread.messages.get(id) || {}).status === "streaming");
    return streaming ? "" : "Pick a reply to go on with: “Continue with this one”.";
  }

  nodes() {
    if (!this.showing) return [];
    const count = this.set.models.length;
    this.container.style.setProperty("--columns", String(count));
    const columns = [];
    for (let n = 0; n < count; n += 1) columns.push(this.columnNode(n));
    this.container.replaceChildren(...columns);
    return [this.container];
  }

  columnNode(n) {
    const wrap = el("div", "compare-column");
    wrap.dataset.column = String(n);
    const target = this.set.models[n];
    const message = this.thread.messages.get(this.set.columns[n]);
    const head = el("div", "compare-column-head");
    head.append(el("span", "compare-model", `${target.provider} · ${target.model}`));
    if (message && message.status === "streaming") {
      const stop = button("Stop", "danger small compare-stop");
      stop.dataset.compare = "stop";
      stop.setAttribute("aria-label", `Stop ${target.model}`);
      head.append(stop);
    } else if (message) {
      const pick = button("Continue with this one", "primary small compare-continue");
      pick.dataset.compare = "continue";
      head.append(pick);
    }
    wrap.dataset.status = message ? message.status || "complete" : "waiting";
    wrap.append(head);
    wrap.append(message ? this.thread.node(message) : el("div", "muted small compare-waiting", "Waiting…"));
    return wrap;
  }

  click(event) {
    const target = event.target.closest("button[data-compare]");
    if (!target || !this.set) return;
    event.stopPropagation(); // not a message action
    const n = Number(target.closest(".compare-column").dataset.column);
    if (target.dataset.compare === "stop") {
      // After a reload the columns are in the order of their messages: the reply's own request id says which.
      const message = this.thread.messages.get(this.set.columns[n]) || {};
      this.onCancel(message.request_id || `${this.set.base}:${n}`);
      return;
    }
    const id = this.set.columns[n];
    this.set = null;
    this.thread.leafId = this.thread.newestLeaf(id);
    this.thread.render();
    this.onChange();
  }
}
