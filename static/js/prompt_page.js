// A prompt's page: the editor (saves a new version), versions and their diff, labels and their history, and
// opening a version in the playground. Everything shown is built with the DOM from the JSON API's answers.
import { api } from "./api.js";
import { button, el } from "./dom.js";
import { PromptEditor } from "./prompt_editor.js";
import { PromptUse } from "./prompt_use.js";

const $ = (id) => document.getElementById(id);
const data = (id) => JSON.parse($(id).textContent);
const app = $("prompt-app");
const promptId = Number(app.dataset.promptId);
const base = `/api/prompts/${promptId}`;
let detail = data("prompt-data");

const editor = new PromptEditor({ pattern: app.dataset.pattern, kinds: data("kinds-data"), providers: data("providers-data"),
  onChange: () => { $("editor-error").textContent = ""; } });
const use = new PromptUse({ promptId, select: $("use-version"), inputs: $("use-inputs"), error: $("use-error"),
  openButton: $("open-playground") });

const when = (iso) => new Date(iso).toLocaleString();
const say = (text) => { $("status").textContent = text; };

function show(next, { loadEditor = false } = {}) {
  detail = next;
  if (loadEditor) editLatest();
  renderVersions();
  renderLabels();
  use.load(detail);
}

function editLatest() {
  const latest = detail.versions.at(-1);
  editor.load(latest);
  $("editor-base").textContent = detail.prompt.can_write ? `Editing from v${latest.number}` : `Showing v${latest.number}`;
}

function versionOptions(select, chosen) {
  select.replaceChildren(...detail.versions.map((v) => new Option(`v${v.number}`, String(v.number))));
  if (chosen !== undefined) select.value = String(chosen);
}

function renderVersions() {
  $("version-rows").replaceChildren(...[...detail.versions].reverse().map((v) => {
    const row = el("tr");
    const labels = detail.labels.filter((l) => l.version === v.number).map((l) => l.name).join(", ");
    const edit = button(detail.prompt.can_write ? `Edit from v${v.number}` : `Show v${v.number}`);
    edit.addEventListener("click", () => {
      editor.load(v);
      $("editor-base").textContent = detail.prompt.can_write ? `Editing from v${v.number}` : `Showing v${v.number}`;
      $("editor").querySelector("textarea")?.focus();
    });
    const cells = [`v${v.number}`, labels, v.author || "", when(v.created), v.note].map((text) => el("td", "", text));
    const actions = el("td");
    actions.append(edit);
    row.append(...cells, actions);
    return row;
  }));
  const last = detail.versions.at(-1).number;
  versionOptions($("diff-from"), Math.max(1, last - 1)); // the newest change, unless another pair is picked
  versionOptions($("diff-to"), last);
  if ($("label-version")) versionOptions($("label-version"), last);
}

function renderLabels() {
  const canWrite = detail.prompt.can_write;
  $("labels").replaceChildren(...detail.labels.map((label) => {
    const item = el("li", "prompt-label");
    item.append(el("strong", "", label.name), el("span", "", ` → v${label.version}`),
      el("span", "muted small", ` moved by ${label.moved_by || "?"}, ${when(label.moved)}`));
    if (canWrite) {
      const remove = button("Remove", "ghost small");
      remove.setAttribute("aria-label", `Remove the label ${label.name}`);
      remove.addEventListener("click", () => labelChange("DELETE", label.name));
      item.append(remove);
    }
    return item;
  }));
  if (!detail.labels.length) $("labels").append(el("li", "muted small", "No labels yet."));
  $("label-history").replaceChildren(...detail.label_history.map((h) => el("li", "",
    `${when(h.at)}: ${h.by || "someone"} ${h.to === null ? "removed" : "moved"} ${h.label}`
    + `${h.from === null ? "" : ` from v${h.from}`}${h.to === null ? "" : ` to v${h.to}`}`)));
  if (!detail.label_history.length) $("label-history").append(el("li", "muted", "No label has moved yet."));
}

async function labelChange(method, name, version) {
  $("label-error").textContent = "";
  try {
    show(await api(method, `${base}/labels/${encodeURIComponent(name)}`, method === "PUT" ? { version } : undefined));
    say(method === "PUT" ? `${name} now points at v${version}.` : `${name} removed.`);
  } catch (error) {
    $("label-error").textContent = error.message;
  }
}

async function saveVersion() {
  let settings;
  try {
    settings = editor.settings();
  } catch (error) {
    $("editor-error").textContent = error.message;
    return;
  }
  const body = { messages: editor.messages(), settings, variables: editor.variables(), note: $("note").value };
  try {
    const version = await api("POST", `${base}/versions`, body);
    $("note").value = "";
    show(await api("GET", base));
    $("editor-base").textContent = `Editing from v${version.number}`;
    say(`Saved v${version.number}.`);
  } catch (error) {
    $("editor-error").textContent = error.message;
  }
}

async function showDiff() {
  const target = $("diff");
  let answer;
  try {
    answer = await api("GET", `${base}/diff?from=${$("diff-from").value}&to=${$("diff-to").value}`);
  } catch (error) {
    say(error.message);
    return;
  }
  target.hidden = false;
  target.replaceChildren(...answer.lines.map((line) => el("span", `diff-line diff-${line.kind}`, `${line.text}\n`)));
  if (!answer.lines.length) target.append(el("span", "muted", `v${answer.from} and v${answer.to} are the same.`));
  say(`The diff of v${answer.from} and v${answer.to}.`);
}

$("save-version").addEventListener("click", saveVersion);
$("show-diff").addEventListener("click", showDiff);
$("label-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  labelChange("PUT", $("label-name").value.trim(), Number($("label-version").value));
});
$("delete-prompt")?.addEventListener("click", async () => {
  if (!window.confirm(`Delete the prompt ${detail.prompt.name} and all its versions?`)) return;
  try {
    await api("DELETE", base);
    window.location.assign("/prompts/");
  } catch (error) {
    say(error.message);
  }
});
show(detail, { loadEditor: true });
