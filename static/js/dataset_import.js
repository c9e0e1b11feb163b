// Importing a CSV or JSONL file into a dataset: the file is previewed first (its columns, first rows and
// count), each column is mapped (a variable, expected, tags or ignored), then every row is imported or none.
import { api } from "./api.js";
import { el } from "./dom.js";

const $ = (id) => document.getElementById(id);
const SPECIAL = [["", "(ignore)"], ["expected", "Expected output"], ["tags", "Tags"]];

function option(value, label) {
  const node = el("option", "", label);
  node.value = value;
  return node;
}

function send(page, body) {
  return api("POST", `${page.url}/import`, body);
}

export function wireImport(page) {
  const dialog = $("import-dialog");
  const input = $("import-file");
  let file = null;

  function reset() {
    $("import-error").hidden = true;
    $("import-problems").hidden = true;
    $("import-preview").hidden = true;
    $("import-confirm").disabled = true;
  }

  function refuse(problem) {
    $("import-error").textContent = problem.message;
    $("import-error").hidden = false;
    const lines = (problem.data && problem.data.problems) || [];
    $("import-problems").replaceChildren(...lines.map((line) => el("li", "", line)));
    $("import-problems").hidden = lines.length === 0;
  }

  function renderPreview(preview) {
    $("import-summary").textContent = `${preview.lines} rows found (${preview.format.toUpperCase()}), columns: ${preview.columns.join(", ")}.`;
    const variables = [...new Set([...page.columns, ...preview.columns.filter((c) => /^[A-Za-z_]\w*$/.test(c))])];
    $("import-mapping").replaceChildren(...preview.columns.map((column, n) => {
      const label = el("label", "inline", column);
      const select = el("select");
      select.id = `map-${n}`;
      select.dataset.column = column;
      select.setAttribute("aria-label", `Column ${column} is`);
      select.append(...variables.map((v) => option(v, `Variable ${v}`)), ...SPECIAL.map(([v, l]) => option(v, l)));
      select.value = preview.mapping[column];
      label.htmlFor = select.id;
      const row = el("div", "map-row");
      row.append(label, select);
      return row;
    }));
    const head = el("tr");
    head.append(...preview.columns.map((c) => el("th", "", c)));
    $("import-rows").tHead.replaceChildren(head);
    $("import-rows").tBodies[0].replaceChildren(...preview.rows.map((row) => {
      const tr = el("tr");
      tr.append(...preview.columns.map((c) => el("td", "value", row[c] === undefined ? "" : typeof row[c] === "string" ? row[c] : JSON.stringify(row[c]))));
      return tr;
    }));
    $("import-preview").hidden = false;
    $("import-confirm").disabled = false;
  }

  $("open-import").addEventListener("click", () => {
    input.value = "";
    file = null;
    reset();
    dialog.showModal();
    input.focus();
  });

  input.addEventListener("change", async () => {
    reset();
    if (!input.files.length) return;
    file = { name: input.files[0].name, text: await input.files[0].text() };
    try {
      renderPreview(await send(page, file));
    } catch (problem) {
      refuse(problem);
    }
  });

  $("import-confirm").addEventListener("click", async () => {
    const mapping = {};
    $("import-mapping").querySelectorAll("select").forEach((s) => { mapping[s.dataset.column] = s.value; });
    $("import-confirm").disabled = true;
    try {
      const done = await send(page, { ...file, mapping });
      dialog.close();
      await page.load();
      $("version").textContent = `Imported ${done.imported} rows · version ${done.version}`;
    } catch (problem) {
      refuse(problem);
      $("import-confirm").disabled = false;
    }
  });
}
