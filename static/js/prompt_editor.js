// The prompt editor: messages (role + text), the {{variables}} found as you type with a type for each, and settings.
// The variable pattern comes from the server (data-pattern: chat/workbench/variables.py PATTERN), so there is one
// definition of it.
import { button, el } from "./dom.js";

const ROLES = ["system", "user", "assistant"];
const KIND_NAMES = { text: "Text", long_text: "Long text", json: "JSON", image: "Image" };
const MORE = ["params", "tools", "tool_choice", "response_format"];

export function variableNames(pattern, texts) {
  const found = [];
  for (const text of texts) {
    for (const match of text.matchAll(new RegExp(pattern, "g"))) {
      if (!match[1] && !found.includes(match[2])) found.push(match[2]);
    }
  }
  return found;
}

export class PromptEditor {
  constructor({ pattern, kinds, providers, onChange }) {
    Object.assign(this, { pattern, kinds, providers, onChange });
    this.list = document.getElementById("messages");
    this.kindList = document.getElementById("variable-kinds");
    this.chosenKinds = {};
    this.provider = document.getElementById("setting-provider");
    this.model = document.getElementById("setting-model");
    this.more = document.getElementById("setting-more");
    this.provider.replaceChildren(new Option("(choose in the playground)", ""),
      ...providers.map((p) => new Option(p.name, p.slug)));
    this.provider.addEventListener("change", () => this.fillModels());
    document.getElementById("add-message").addEventListener("click", () => {
      const last = this.list.lastElementChild?.querySelector("select")?.value;
      this.addMessage({ role: last === "user" ? "assistant" : "user", content: "" }).querySelector("textarea").focus();
      this.refresh();
    });
  }

  load(version) {
    this.list.replaceChildren();
    (version?.messages || [{ role: "user", content: "" }]).forEach((m) => this.addMessage(m));
    this.chosenKinds = { ...(version?.variables || {}) };
    const settings = version?.settings || {};
    this.provider.value = settings.provider || "";
    this.fillModels();
    this.model.value = settings.model || "";
    const more = Object.fromEntries(MORE.filter((k) => settings[k] !== undefined).map((k) => [k, settings[k]]));
    this.more.value = Object.keys(more).length ? JSON.stringify(more, null, 2) : "";
    this.refresh();
  }

  fillModels() {
    const provider = this.providers.find((p) => p.slug === this.provider.value);
    document.getElementById("model-list").replaceChildren(...(provider?.models || []).map((m) => new Option(m.name, m.id)));
  }

  addMessage({ role, content }) {
    const item = el("li", "prompt-message");
    const n = this.list.children.length + 1;
    const select = el("select");
    ROLES.forEach((r) => select.append(new Option(r, r)));
    select.value = role;
    select.setAttribute("aria-label", `Message ${n} role`);
    const text = el("textarea");
    text.rows = 3;
    text.value = content;
    text.setAttribute("aria-label", `Message ${n} text`);
    text.addEventListener("input", () => this.refresh());
    const remove = button("Remove", "ghost small");
    remove.setAttribute("aria-label", `Remove message ${n}`);
    remove.addEventListener("click", () => { item.remove(); this.refresh(); });
    item.append(el("div", "message-head"), text);
    item.firstChild.append(select, remove);
    this.list.append(item);
    return item;
  }

  messages() {
    return [...this.list.children].map((item) => ({
      role: item.querySelector("select").value, content: item.querySelector("textarea").value,
    }));
  }

  names() {
    return variableNames(this.pattern, this.messages().map((m) => m.content));
  }

  // The variables as typed now, each with its type picker (a type chosen earlier is kept).
  refresh() {
    const names = this.names();
    document.getElementById("no-variables").hidden = names.length > 0;
    this.kindList.replaceChildren(...names.map((name) => {
      const select = el("select");
      this.kinds.forEach((k) => select.append(new Option(KIND_NAMES[k] || k, k)));
      select.value = this.chosenKinds[name] || "text";
      select.id = `kind-${name}`;
      select.setAttribute("aria-label", `{{${name}}} type`);
      select.addEventListener("change", () => { this.chosenKinds[name] = select.value; this.onChange(); });
      const label = el("label", "inline", `{{${name}}}`);
      label.htmlFor = select.id;
      const item = el("li");
      item.append(label, select);
      return item;
    }));
    this.onChange();
  }

  variables() {
    return Object.fromEntries(this.names().map((name) => [name, this.chosenKinds[name] || "text"]));
  }

  // The settings to save, or throws an Error saying what is wrong with the JSON box.
  settings() {
    let more = {};
    if (this.more.value.trim()) {
      try {
        more = JSON.parse(this.more.value);
      } catch (error) {
        throw new Error(`The settings box is not valid JSON: ${error.message}`);
      }
      if (typeof more !== "object" || Array.isArray(more) || more === null) throw new Error("The settings box must hold a JSON object.");
    }
    const chosen = { provider: this.provider.value || undefined, model: this.model.value.trim() || undefined };
    return { ...more, ...Object.fromEntries(Object.entries(chosen).filter(([, v]) => v)) };
  }
}
