// "From a dataset" on the Embeddings page: pick a dataset you may read and one of its columns (its variables, or
// expected); its first non-empty values fill the texts, and the run then records which dataset, version and column
// they came from. Editing the filled texts makes them typed texts again (the page says so).
import { api } from "./api.js";
import { el } from "./dom.js";

export class DatasetSource {
  constructor({ datasetSelect, columnSelect, fill, status, textarea, onFilled }) {
    Object.assign(this, { datasetSelect, columnSelect, fill, status, textarea, onFilled });
    this.filled = null; // {source, value}: what the dataset put in the textarea
    this.items = [];
    datasetSelect.addEventListener("change", () => this.columns());
    fill.addEventListener("click", () => this.load());
    textarea.addEventListener("input", () => {
      if (!this.filled || textarea.value === this.filled.value) return;
      this.filled = null;
      this.say("Edited: these texts now count as typed, not as the dataset column.");
    });
  }

  say(text, bad = false) {
    this.status.textContent = text;
    this.status.classList.toggle("bad", bad);
  }

  async list() {
    try {
      this.items = (await api("GET", "/api/datasets")).items;
    } catch (error) {
      this.say(error.message, true);
      return;
    }
    const none = el("option", "", this.items.length ? "Pick a dataset" : "No dataset you may read");
    none.value = "";
    this.datasetSelect.replaceChildren(none, ...this.items.map((item) => {
      const option = el("option", "", `${item.name} (${item.rows} rows, v${item.version}, ${item.owner})`);
      option.value = String(item.id);
      return option;
    }));
    this.columns();
  }

  columns() {
    const item = this.items.find((d) => String(d.id) === this.datasetSelect.value);
    const names = item ? [...item.columns, "expected"] : [];
    this.columnSelect.replaceChildren(...names.map((name) => {
      const option = el("option", "", name);
      option.value = name;
      return option;
    }));
    this.columnSelect.disabled = !item;
    this.fill.disabled = !item;
  }

  async load() {
    const params = new URLSearchParams({ dataset: this.datasetSelect.value, column: this.columnSelect.value });
    try {
      const { texts, source } = await api("GET", `/api/embeddings/dataset-texts?${params}`);
      this.textarea.value = texts.map((text) => text.replace(/\s*\n\s*/g, " ")).join("\n"); // one text a line
      this.filled = { source, value: this.textarea.value };
      this.say(describe(source, texts.length));
      this.onFilled();
    } catch (error) {
      this.say(error.message, true);
    }
  }

  // What the run sends: the dataset column while its texts stand as filled, else nothing (typed texts).
  source() {
    if (!this.filled || this.textarea.value !== this.filled.value) return null;
    const { dataset, version, column } = this.filled.source;
    return { dataset, version, column };
  }
}

export function describe(source, count = source.values - source.left_out) {
  const left = source.left_out ? `; ${source.left_out} more non-empty value${source.left_out === 1 ? " was" : "s were"} left out`
    : "";
  return `${count} texts from ${source.name} (version ${source.version}), column ${source.column}${left}.`;
}
