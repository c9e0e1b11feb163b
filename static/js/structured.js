// Structured outputs: the response-format picker with its schema editor and the team's saved
// schemas, and the view of a reply's parsed JSON with its validation verdict.
//
// Everything shown from a reply is built with textContent; nothing here touches innerHTML.
import { api } from "./api.js";
import { el } from "./dom.js";

const CHECK_DELAY = 300;

function labelled(text, control, id) {
  control.id = id;
  const label = el("label", "", text);
  label.htmlFor = id;
  return [label, control];
}

function smallButton(text, id) {
  const node = el("button", "ghost small", text);
  node.type = "button";
  node.id = id;
  return node;
}

// The settings: response format, schema editor, saved schemas ------------------------------

export class ResponseFormat {
  constructor(root, { me, onChange }) {
    this.root = root;
    this.me = me;
    this.onChange = () => {};
    this.saved = [];
    this.problem = null; // text of what is wrong with the schema, or null
    this.checking = false;
    this.timer = null;
    this.checkSeq = 0;
    this.build();
    this.showFields();
    this.onChange = onChange || (() => {}); // not during construction: the page is still being wired
  }

  build() {
    this.type = el("select");
    [["text", "Text"], ["json_object", "JSON object"], ["json_schema", "JSON schema"]].forEach(([value, label]) => {
      const option = el("option", "", label);
      option.value = value;
      this.type.append(option);
    });
    this.fields = el("div", "schema-fields");
    this.picker = el("select");
    this.name = el("input");
    this.name.maxLength = 64;
    this.name.placeholder = "response";
    this.strict = el("input");
    this.strict.type = "checkbox";
    this.strict.checked = true;
    const strictLabel = el("label", "inline-check");
    strictLabel.append(this.strict, document.createTextNode(" Strict"));
    this.text = el("textarea", "schema-text");
    this.text.rows = 8;
    this.text.spellcheck = false;
    this.text.placeholder = '{"type": "object", "properties": {…}, "required": […]}';
    this.errors = el("div", "schema-errors");
    this.errors.setAttribute("role", "alert");
    this.saveButton = smallButton("Save schema", "schema-save");
    this.updateButton = smallButton("Update schema", "schema-update");
    this.deleteButton = smallButton("Delete schema", "schema-delete");
    this.deleteButton.classList.add("danger");
    this.status = el("span", "muted small schema-status");
    this.status.setAttribute("role", "status");
    const buttons = el("div", "schema-buttons");
    buttons.append(this.saveButton, this.updateButton, this.deleteButton, this.status);
    this.fields.append(
      ...labelled("Saved schemas", this.picker, "schema-saved"),
      ...labelled("Schema name", this.name, "schema-name"), strictLabel,
      ...labelled("JSON schema", this.text, "schema-text"), this.errors, buttons,
    );
    this.root.append(...labelled("Response format", this.type, "response-format"), this.fields);
    this.type.addEventListener("change", () => this.showFields());
    this.text.addEventListener("input", () => this.check());
    this.picker.addEventListener("change", () => this.pick());
    this.saveButton.addEventListener("click", () => this.save());
    this.updateButton.addEventListener("click", () => this.update());
    this.deleteButton.addEventListener("click", () => this.remove());
  }

  showFields() {
    this.fields.hidden = this.type.value !== "json_schema";
    if (!this.fields.hidden && !this.loaded) this.refreshSaved();
    this.check();
  }

  // What the next request asks for ("text" explicitly: settings left out fall back to the conversation's).
  values() {
    if (this.type.value === "text") return { response_format: { type: "text" } };
    if (this.type.value === "json_object") return { response_format: { type: "json_object" } };
    return {
      response_format: {
        type: "json_schema",
        json_schema: { name: this.name.value.trim() || "response", schema: this.parsed, strict: this.strict.checked },
      },
    };
  }

  // Why Send is disabled, or "" when the format is ready.
  blockReason() {
    if (this.type.value !== "json_schema") return "";
    if (this.problem) return `Fix the JSON schema first: ${this.problem}`;
    if (this.checking) return "Checking the JSON schema…";
    return "";
  }

  apply(format) {
    const type = format && format.type ? format.type : "text";
    this.type.value = type;
    if (type === "json_schema") {
      const spec = format.json_schema || {};
      this.name.value = spec.name || "";
      this.strict.checked = spec.strict !== false;
      this.text.value = spec.schema ? JSON.stringify(spec.schema, null, 2) : "";
    }
    this.showFields();
  }

  // Checking as it is typed --------------------------------------------------------------------

  check() {
    clearTimeout(this.timer);
    this.checkSeq += 1;
    this.checking = false;
    if (this.type.value !== "json_schema") return this.setProblem(null);
    const raw = this.text.value.trim();
    if (!raw) return this.setProblem("Type a schema.");
    try {
      this.parsed = JSON.parse(raw);
    } catch (error) {
      return this.setProblem(`Not valid JSON: ${error.message}`);
    }
    if (!this.parsed || typeof this.parsed !== "object" || Array.isArray(this.parsed)) {
      return this.setProblem("A schema must be a JSON object.");
    }
    this.checking = true;
    this.setProblem(null);
    const seq = this.checkSeq;
    this.timer = setTimeout(() => this.checkOnServer(seq), CHECK_DELAY);
    return undefined;
  }

  async checkOnServer(seq) {
    let result;
    try {
      result = await api("POST", "/api/check/schema", { schema: this.parsed });
    } catch (error) {
      result = { valid: false, errors: { schema: `Could not check the schema: ${error.message}` } };
    }
    if (seq !== this.checkSeq) return; // typed again meanwhile
    this.checking = false;
    this.setProblem(result.valid ? null : Object.values(result.errors || {}).join("; ") || "Invalid schema.");
  }

  setProblem(problem) {
    this.problem = problem;
    this.errors.textContent = problem && this.text.value.trim() ? problem : "";
    this.text.setAttribute("aria-invalid", String(Boolean(problem)));
    this.onChange();
  }

  // The team's saved schemas --------------------------------------------------------------------

  async refreshSaved(selectId) {
    try {
      this.saved = (await api("GET", "/api/schemas")).items;
      this.loaded = true;
    } catch (error) {
      this.say(error.message);
    }
    this.picker.replaceChildren(new Option("— unsaved —", ""));
    this.saved.forEach((item) => {
      const mine = item.owner === this.me.username;
      this.picker.append(new Option(mine ? item.name : `${item.name} (${item.owner})`, String(item.id)));
    });
    this.picker.value = selectId ? String(selectId) : "";
    this.showOwnership();
  }

  selected() {
    return this.saved.find((item) => String(item.id) === this.picker.value);
  }

  showOwnership() {
    const item = this.selected();
    const mine = item && item.owner === this.me.username;
    this.updateButton.hidden = !mine;
    this.deleteButton.hidden = !mine;
  }

  pick() {
    const item = this.selected();
    this.showOwnership();
    if (!item) return;
    this.name.value = item.name;
    this.strict.checked = item.strict;
    this.text.value = JSON.stringify(item.schema, null, 2);
    this.check();
  }

  body() {
    return { name: this.name.value.trim(), schema: this.parsed, strict: this.strict.checked };
  }

  // The schema as checked by the server, once any check in progress is done.
  async ready() {
    if (this.checking) {
      clearTimeout(this.timer);
      await this.checkOnServer(this.checkSeq);
    }
    if (this.problem) this.say(this.problem);
    return !this.problem;
  }

  async save() {
    if (!(await this.ready())) return;
    if (!this.name.value.trim()) {
      this.say("Give the schema a name to save it.");
      return;
    }
    await this.write("POST", "/api/schemas", "Saved for the team.");
  }

  async update() {
    const item = this.selected();
    if (item && (await this.ready())) await this.write("PUT", `/api/schemas/${item.id}`, "Updated.");
  }

  async write(method, url, done) {
    try {
      const item = await api(method, url, this.body());
      await this.refreshSaved(item.id);
      this.say(done);
    } catch (error) {
      this.say(error.message);
    }
  }

  async remove() {
    const item = this.selected();
    if (!item) return;
    try {
      await api("DELETE", `/api/schemas/${item.id}`);
      await this.refreshSaved();
      this.say(`Deleted ${item.name}.`);
    } catch (error) {
      this.say(error.message);
    }
  }

  say(text) {
    this.status.textContent = text;
  }
}

// A reply's structured output -----------------------------------------------------------------

function summaryOf(value) {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  const n = Object.keys(value).length;
  return `{${n} key${n === 1 ? "" : "s"}}`;
}

function jsonNode(key, value, depth) {
  const keyNode = key === null ? null : el("span", "json-key", `${key}: `);
  if (value !== null && typeof value === "object") {
    const details = el("details", "json-branch");
    details.open = depth < 3;
    const summary = el("summary");
    if (keyNode) summary.append(keyNode);
    summary.append(el("span", "json-summary", summaryOf(value)));
    const children = el("div", "json-children");
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    entries.forEach(([k, v]) => children.append(jsonNode(k, v, depth + 1)));
    details.append(summary, children);
    return details;
  }
  const leaf = el("div", "json-leaf");
  if (keyNode) leaf.append(keyNode);
  const kind = value === null ? "null" : typeof value;
  leaf.append(el("span", `json-value json-${kind}`, JSON.stringify(value)));
  return leaf;
}

export function jsonView(value) {
  const view = el("div", "json-view");
  view.append(jsonNode(null, value, 0));
  return view;
}

function verdictNode(structured) {
  const box = el("div", "structured-verdict");
  if (structured.valid) {
    box.append(el("span", "verdict verdict-valid", "valid"));
    return box;
  }
  box.append(el("span", "verdict verdict-invalid", "invalid"));
  const list = el("ul", "structured-errors");
  (structured.errors || []).forEach((error) => {
    const item = el("li");
    item.append(el("code", "error-path", error.path || "$"), document.createTextNode(` ${error.message || ""}`));
    list.append(item);
  });
  box.append(list);
  return box;
}

// The verdict, the JSON and the fallback of a reply, or null when it has none of them.
export function structuredView(message) {
  const structured = message.status === "streaming" ? null : message.structured;
  if (!structured && !message.fallback) return null;
  const section = el("section", "structured");
  section.setAttribute("aria-label", "Structured output");
  const head = el("div", "structured-head");
  if (structured) head.append(el("span", "structured-title", "JSON"), verdictNode(structured));
  if (message.fallback) {
    const badge = el("span", "badge fallback-badge", `fallback: ${message.fallback}`);
    badge.title = "The model lacks native support for this response format; a declared fallback was used.";
    head.append(badge);
  }
  section.append(head);
  if (structured && structured.value !== null && structured.value !== undefined) section.append(jsonView(structured.value));
  return section;
}
