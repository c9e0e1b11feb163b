// "Open in the playground": a typed input per variable of the chosen version (text, long text, JSON checked as
// you type, an image uploaded through POST /api/images), then POST /api/prompts/<id>/open. The reply names every
// missing variable; the draft (the last user message) is handed to the playground in sessionStorage.
import { api } from "./api.js";
import { el } from "./dom.js";

export const DRAFT_KEY = "prompt-draft";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

async function uploadImage(file) {
  const form = new FormData();
  form.append("image", file, file.name || "image");
  const response = await fetch("/api/images", { method: "POST", body: form, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() } });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

export class PromptUse {
  constructor({ promptId, select, inputs, error, openButton }) {
    Object.assign(this, { promptId, select, inputs, error });
    this.values = {};
    this.problems = {};
    this.picked = false;  // until a person picks one, the picker follows the newest version (a save adds one)
    select.addEventListener("change", () => { this.picked = true; this.render(); });
    openButton.addEventListener("click", () => this.open());
  }

  // detail: the prompt's versions and labels; the picker lists labels first, then every version, newest first.
  load(detail) {
    this.detail = detail;
    const chosen = this.select.value;
    this.select.replaceChildren(
      ...detail.labels.map((l) => new Option(`${l.name} (v${l.version})`, `label:${l.name}`)),
      ...[...detail.versions].reverse().map((v) => new Option(`v${v.number}`, `version:${v.number}`)));
    if (this.picked && [...this.select.options].some((o) => o.value === chosen)) this.select.value = chosen;
    else this.select.value = `version:${detail.versions.at(-1).number}`;
    this.render();
  }

  version() {
    const [kind, name] = this.select.value.split(":");
    const number = kind === "label" ? this.detail.labels.find((l) => l.name === name).version : Number(name);
    return this.detail.versions.find((v) => v.number === number);
  }

  render() {
    const kinds = this.version().variables;
    this.inputs.replaceChildren(...Object.entries(kinds).map(([name, kind]) => this.field(name, kind)));
    if (!Object.keys(kinds).length) this.inputs.append(el("p", "muted small", "This version has no variables."));
  }

  field(name, kind) {
    const wrap = el("div", "use-field");
    const id = `value-${name}`;
    const label = el("label", "", `{{${name}}}`);
    label.htmlFor = id;
    const note = el("p", "wb-error small");
    note.id = `${id}-problem`;
    let input;
    if (kind === "image") {
      input = el("input");
      input.type = "file";
      input.accept = "image/png,image/jpeg,image/webp,image/gif";
      input.addEventListener("change", () => this.upload(name, input, note));
    } else {
      input = el(kind === "text" ? "input" : "textarea", kind === "json" ? "mono" : "");
      if (kind !== "text") input.rows = kind === "json" ? 4 : 5;
      input.value = typeof this.values[name] === "string" ? this.values[name] : "";
      input.addEventListener("input", () => this.typed(name, kind, input, note));
    }
    input.id = id;
    input.setAttribute("aria-describedby", note.id);
    wrap.append(label, el("span", "muted small kind", kind.replace("_", " ")), input, note);
    return wrap;
  }

  typed(name, kind, input, note) {
    this.values[name] = input.value;
    delete this.problems[name];
    if (kind === "json" && input.value.trim()) {
      try {
        JSON.parse(input.value);
      } catch (error) {
        this.problems[name] = `{{${name}}} is not valid JSON: ${error.message}`;
      }
    }
    note.textContent = this.problems[name] || "";
    input.setAttribute("aria-invalid", String(Boolean(this.problems[name])));
  }

  async upload(name, input, note) {
    note.textContent = "Uploading…";
    try {
      const image = await uploadImage(input.files[0]);
      this.values[name] = image.id;
      note.textContent = "";
    } catch (error) {
      delete this.values[name];
      note.textContent = `The image was not taken: ${error.message}`;
    }
  }

  async open() {
    const problems = Object.values(this.problems);
    this.error.textContent = problems.join(" ");
    if (problems.length) return;
    const [kind, name] = this.select.value.split(":");
    const values = {}; // JSON as the text typed (checked again on the server), an image as its upload's id
    for (const key of Object.keys(this.version().variables)) {
      if (this.values[key] !== undefined && this.values[key] !== "") values[key] = this.values[key];
    }
    const body = kind === "label" ? { label: name, values } : { version: Number(name), values };
    let opened;
    try {
      opened = await api("POST", `/api/prompts/${this.promptId}/open`, body);
    } catch (error) {
      this.error.textContent = error.message;
      return;
    }
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ conversation: opened.conversation_id, ...opened.draft }));
    window.location.assign(opened.url);
  }
}
