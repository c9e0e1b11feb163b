// One dataset: its live rows (filtered by tag), adding, editing and removing rows; import and generation
// live in their own modules. Every value is shown as text (textContent), never as HTML.
import { api } from "./api.js";
import { button, el } from "./dom.js";
import { wireImport } from "./dataset_import.js";
import { wireGenerate } from "./dataset_generate.js";

const $ = (id) => document.getElementById(id);

function ratingText(rating) {
  if (!rating) return "";
  const parts = [];
  if (rating.thumbs !== null && rating.thumbs !== undefined) parts.push(rating.thumbs ? "👍" : "👎");
  if (rating.score) parts.push(`${rating.score}/5`);
  return parts.join(" ");
}

function sourceCell(row) {
  const cell = el("td", "muted small");
  const source = row.source || {};
  if (source.conversation) {
    const link = el("a", "", "chat");
    link.href = `/c/${source.conversation}/`;
    cell.append(link);
    const rated = ratingText(source.rating);
    if (rated) cell.append(` · ${rated}`);
  }
  return cell;
}

function shown(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

class DatasetPage {
  constructor(root) {
    this.id = root.dataset.datasetId;
    this.canWrite = root.dataset.canWrite === "true";
    this.url = `/api/datasets/${this.id}`;
    this.editing = null;
    $("tag-filter").addEventListener("change", () => this.load());
    document.querySelectorAll("dialog [data-close]").forEach((b) => b.addEventListener("click", () => b.closest("dialog").close()));
    if (this.canWrite) {
      $("add-row").addEventListener("click", () => this.openRow(null));
      $("row-form").addEventListener("submit", (event) => { event.preventDefault(); this.saveRow(); });
      $("rows").addEventListener("click", (event) => this.rowAction(event));
      wireImport(this);
      wireGenerate(this);
    }
    this.load();
  }

  async load() {
    const tag = $("tag-filter").value;
    try {
      this.data = await api("GET", `${this.url}${tag ? `?tag=${encodeURIComponent(tag)}` : ""}`);
    } catch (problem) {
      return this.fail(problem);
    }
    $("action-error").hidden = true;
    this.columns = this.data.dataset.columns;
    this.renderTags(tag);
    this.render();
  }

  fail(problem) {
    $("action-error").textContent = problem.message;
    $("action-error").hidden = false;
  }

  renderTags(current) {
    const select = $("tag-filter");
    const options = [el("option", "", "All rows"), ...this.data.tags.map((t) => el("option", "", t))];
    options[0].value = "";
    options.slice(1).forEach((o, n) => { o.value = this.data.tags[n]; });
    select.replaceChildren(...options);
    select.value = this.data.tags.includes(current) ? current : "";
  }

  render() {
    const { dataset, rows } = this.data;
    $("row-count").textContent = `(${rows.length}${rows.length !== dataset.rows ? ` of ${dataset.rows}` : ""})`;
    $("version").textContent = `Version ${dataset.version}`;
    const head = el("tr");
    head.append(el("th", "", "#"), ...this.columns.map((c) => el("th", "", c)), el("th", "", "Expected"),
      el("th", "", "Tags"), el("th", "", "Source"));
    if (this.canWrite) head.append(el("th", "", "Actions"));
    $("rows").tHead.replaceChildren(head);
    $("rows").tBodies[0].replaceChildren(...rows.map((row, n) => this.rowNode(row, n + 1)));
    $("no-rows").hidden = rows.length > 0;
  }

  rowNode(row, number) {
    const tr = el("tr");
    tr.dataset.rowId = row.id;
    tr.append(el("td", "muted", String(number)));
    this.columns.forEach((c) => tr.append(el("td", "value", c in row.values ? shown(row.values[c]) : "")));
    tr.append(el("td", "value", row.expected), el("td", "tags", row.tags.join(", ")), sourceCell(row));
    if (this.canWrite) {
      const cell = el("td", "row-actions");
      const edit = button("Edit");
      edit.dataset.action = "edit";
      edit.setAttribute("aria-label", `Edit row ${number}`);
      const remove = button("Remove", "ghost small danger");
      remove.dataset.action = "remove";
      remove.setAttribute("aria-label", `Remove row ${number}`);
      cell.append(edit, remove);
      tr.append(cell);
    }
    return tr;
  }

  async rowAction(event) {
    const target = event.target.closest("button[data-action]");
    if (!target) return;
    const id = Number(target.closest("tr").dataset.rowId);
    const row = this.data.rows.find((r) => r.id === id);
    if (target.dataset.action === "edit") return this.openRow(row);
    try {
      await api("DELETE", `${this.url}/rows/${id}`);
    } catch (problem) {
      return this.fail(problem);
    }
    await this.load();
    $("add-row").focus();
  }

  openRow(row) {
    this.editing = row;
    $("row-dialog-title").textContent = row ? "Edit row" : "Add row";
    $("row-error").hidden = true;
    const names = this.columns.length ? this.columns : ["input"];
    $("row-fields").replaceChildren(...names.flatMap((name) => {
      const label = el("label", "", name);
      label.htmlFor = `row-value-${name}`;
      const area = el("textarea");
      area.id = `row-value-${name}`;
      area.rows = 2;
      area.dataset.name = name;
      area.value = row && name in row.values ? shown(row.values[name]) : "";
      return [label, area];
    }));
    $("row-expected").value = row ? row.expected : "";
    $("row-tags").value = row ? row.tags.join(", ") : "";
    $("row-dialog").showModal();
    $("row-fields").querySelector("textarea").focus();
  }

  async saveRow() {
    const values = {};
    $("row-fields").querySelectorAll("textarea").forEach((area) => {
      const old = this.editing ? this.editing.values[area.dataset.name] : undefined;
      // A JSON value left as it was stays JSON; anything typed is text.
      values[area.dataset.name] = old !== undefined && shown(old) === area.value ? old : area.value;
    });
    const body = { values, expected: $("row-expected").value, tags: $("row-tags").value };
    try {
      if (this.editing) await api("PATCH", `${this.url}/rows/${this.editing.id}`, body);
      else await api("POST", `${this.url}/rows`, { rows: [body] });
    } catch (problem) {
      $("row-error").textContent = problem.message;
      $("row-error").hidden = false;
      return;
    }
    $("row-dialog").close();
    const index = this.editing ? this.data.rows.indexOf(this.editing) : -1;
    await this.load();
    // Back where the person was: the replacing row's Edit button (it is a new row), or Add row.
    const edits = $("rows").querySelectorAll("button[data-action=edit]");
    (index >= 0 && edits[index] ? edits[index] : $("add-row")).focus();
  }
}

const root = $("dataset");
if (root) new DatasetPage(root);
