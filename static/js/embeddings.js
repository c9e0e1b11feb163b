// The Embeddings page: texts to one model (or two, compared), the result drawn from the server's numbers,
// saved and exported. Texts reach the page only as textContent.
import { api } from "./api.js";
import { el } from "./dom.js";
import { fixed, heatMap, scatter } from "./embedding_charts.js";
import { DatasetSource, describe } from "./embedding_source.js";

const main = document.getElementById("embeddings");
const form = document.getElementById("embed-form");
const textsInput = document.getElementById("texts");
const status = document.getElementById("embed-status");
const compareToggle = document.getElementById("compare-toggle");
const limits = { min: Number(main.dataset.minTexts), max: Number(main.dataset.maxTexts), chars: Number(main.dataset.maxChars) };
let current = null;
let dataset = null; // the "From a dataset" picker (static/js/embedding_source.js)

function texts() {
  return textsInput.value.split("\n").filter((line) => line.trim() !== "");
}

function chosen(select) {
  const option = select.selectedOptions[0];
  return { provider: option.value, model: option.dataset.model };
}

function say(node, message, bad = false) {
  node.textContent = message;
  node.classList.toggle("bad", bad);
}

function problem(lines) {
  if (lines.length < limits.min || lines.length > limits.max) {
    return `Enter ${limits.min} to ${limits.max} texts, one per line (now ${lines.length}).`;
  }
  const long = lines.findIndex((line) => line.length > limits.chars);
  return long >= 0 ? `Text ${long + 1} is longer than ${limits.chars} characters.` : "";
}

function countTexts() {
  const count = texts().length;
  document.getElementById("text-count").textContent = `${count} text${count === 1 ? "" : "s"}`;
}

// Rendering ---------------------------------------------------------------------------------------

function money(cost) {
  return cost === null || cost === undefined ? "no price" : `$${cost.toFixed(cost < 0.01 ? 6 : 4)}`;
}

function facts(runs) {
  const body = document.querySelector("#facts tbody");
  body.replaceChildren(...runs.map((run) => {
    const row = el("tr");
    row.append(el("td", "", run.label), el("td", "", String(run.dimensions)),
      el("td", "", run.tokens === null ? "not reported" : String(run.tokens)),
      el("td", "", `${Math.round(run.latency_ms)} ms`), el("td", "", money(run.cost)));
    return row;
  }));
}

function agreement(data) {
  const box = document.getElementById("agreement");
  box.hidden = !data.agreement;
  if (!data.agreement) return;
  const a = data.agreement;
  const rho = a.spearman === null ? "not defined for two texts" : fixed(a.spearman, 2);
  box.replaceChildren(el("h3", "", "How much the two models agree"), el("p", "",
    `On average ${Math.round(a.overlap_at_k * 100)}% of each text's ${a.k} nearest neighbours are the same; `
    + `Spearman's ρ of the neighbour rankings: ${rho}; mean difference of similarity: ${fixed(a.mean_abs_difference, 3)}.`));
}

function legend(list) {
  document.getElementById("text-legend").replaceChildren(...list.map((text) => el("li", "", text)));
}

function neighbours(data) {
  const table = document.getElementById("neighbours");
  const head = el("tr");
  for (const name of ["Text", ...data.runs.map((run) => `Nearest by ${run.label}`)]) {
    const th = el("th", "", name);
    th.scope = "col";
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren(...data.texts.map((text, n) => {
    const row = el("tr");
    const th = el("th", "emb-text", `${n + 1}. ${text}`);
    th.scope = "row";
    row.append(th, ...data.runs.map((run) => el("td", "", run.neighbours[n]
      .map((near) => `${near.index + 1} (${fixed(near.similarity, 2)})`).join(" · "))));
    return row;
  }));
}

function exports(id) {
  const base = `/api/embeddings/results/${id}/export`;
  document.getElementById("export-csv").href = `${base}.csv`;
  document.getElementById("export-csv-vectors").href = `${base}.csv?vectors=1`;
  document.getElementById("export-json").href = `${base}.json`;
  document.getElementById("export-json-vectors").href = `${base}.json?vectors=1`;
}

function show(data) {
  current = data;
  facts(data.runs);
  agreement(data);
  legend(data.texts);
  document.getElementById("heatmaps").replaceChildren(...data.runs.map(heatMap));
  neighbours(data);
  document.getElementById("maps").replaceChildren(...data.runs.map(scatter));
  document.getElementById("save-form").hidden = !data.can_write;
  document.getElementById("save-title").value = data.title || "";
  document.getElementById("save-visibility").value = data.visibility === "private" && data.saved ? "private" : "team";
  say(document.getElementById("save-status"), data.saved ? `Saved (${data.visibility === "team" ? "the team sees it" : "only you see it"}).`
    : "Not saved yet: a result you do not save is kept for a day.");
  exports(data.id);
  const from = document.getElementById("result-source");
  from.hidden = !data.source;
  from.textContent = data.source ? `The ${describe(data.source, data.texts.length)}` : "";
  document.getElementById("result").hidden = false;
}

// Actions ---------------------------------------------------------------------------------------------

async function embed(event) {
  event.preventDefault();
  const lines = texts();
  const source = dataset && dataset.source();
  const wrong = source ? "" : problem(lines);
  if (wrong) {
    say(status, wrong, true);
    textsInput.focus();
    return;
  }
  const body = { ...chosen(document.getElementById("model")), ...(source ? { source } : { texts: lines }) };
  if (compareToggle.checked) body.compare = chosen(document.getElementById("compare-model"));
  say(status, "Embedding…");
  document.getElementById("run").disabled = true;
  try {
    const data = await api("POST", "/api/embeddings", body);
    show(data);
    history.replaceState(null, "", `/embeddings/${data.id}/`);
    say(status, `Embedded ${data.texts.length} texts.`);
  } catch (error) {
    say(status, error.message, true);
  } finally {
    document.getElementById("run").disabled = false;
  }
}

async function save(event) {
  event.preventDefault();
  const saveStatus = document.getElementById("save-status");
  try {
    show(await api("PATCH", `/api/embeddings/results/${current.id}`, {
      title: document.getElementById("save-title").value,
      visibility: document.getElementById("save-visibility").value,
    }));
    await listSaved();
  } catch (error) {
    say(saveStatus, error.message, true);
  }
}

async function listSaved() {
  const { items } = await api("GET", "/api/embeddings/results");
  document.getElementById("saved-empty").hidden = items.length > 0;
  document.getElementById("saved-list").replaceChildren(...items.map((item) => {
    const li = el("li");
    const link = el("a", "", item.title);
    link.href = `/embeddings/${item.id}/`;
    li.append(link, el("span", "muted small", ` · ${item.models.join(" vs ")} · ${item.texts} texts · ${item.owner}`));
    return li;
  }));
}

async function open(id) {
  try {
    const data = await api("GET", `/api/embeddings/results/${id}`);
    if (textsInput) textsInput.value = data.texts.join("\n");
    show(data);
    countTexts();
  } catch (error) {
    if (status) say(status, error.message, true);
  }
}

if (form) {
  form.addEventListener("submit", embed);
  textsInput.addEventListener("input", countTexts);
  compareToggle.addEventListener("change", () => {
    document.getElementById("compare-label").hidden = !compareToggle.checked;
  });
  dataset = new DatasetSource({
    datasetSelect: document.getElementById("source-dataset"), columnSelect: document.getElementById("source-column"),
    fill: document.getElementById("source-fill"), status: document.getElementById("source-status"), textarea: textsInput,
    onFilled: countTexts,
  });
  dataset.list();
  const second = document.getElementById("compare-model");
  if (second.options.length > 1) second.selectedIndex = 1;
}
document.getElementById("save-form").addEventListener("submit", save);
if (main.dataset.resultId) open(main.dataset.resultId);
listSaved();
