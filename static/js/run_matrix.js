// A workbench run set: the matrix (one row per prompt version × model) and every output side by side,
// one row per dataset row and repeat, one column per cell, each with its verdicts. Outputs are text only.
import { rateButton } from "./rating.js";

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

const pct = (value) => (value === null || value === undefined ? "—" : `${value}%`);
const ms = (value) => (value === null || value === undefined ? "—" : `${Math.round(value)} ms`);
const money = (value) => (value === null || value === undefined ? "—" : `$${value.toFixed(6)}`);
const cellKey = (r) => `${r.prompt_version ?? ""}|${r.provider}|${r.model}`;

function cellName(cell, labels) {
  const version = cell.prompt_version ? `${labels.versions[cell.prompt_version] || `v${cell.prompt_version}`} · ` : "";
  return `${version}${cell.provider} · ${cell.model}`;
}

export function renderMatrix(table, detail) {
  const names = (detail.experiment.evaluators || []).map((e) => e.name);
  const head = ["Version · model", ...names.map((n) => `${n} pass`), "All pass", "Latency p50", "Latency p95",
    "Tokens in / out", "Cost", "Judge cost"];
  table.tHead.replaceChildren(el("tr", {}, head.map((text) => el("th", { textContent: text, scope: "col" }))));
  table.tBodies[0].replaceChildren(...detail.matrix.map((cell) => el("tr", {}, [
    el("th", { textContent: cellName(cell, detail.labels), scope: "row" }),
    ...names.map((name) => el("td", { textContent: pct(cell.pass[name]) })),
    el("td", { textContent: pct(cell.pass_pct) }), el("td", { textContent: ms(cell.latency_p50_ms) }),
    el("td", { textContent: ms(cell.latency_p95_ms) }),
    el("td", { textContent: `${cell.prompt_tokens ?? 0} / ${cell.completion_tokens ?? 0}` }),
    el("td", { textContent: money(cell.cost) }), el("td", { textContent: money(cell.judge_cost) }),
  ])));
}

function verdictChip(v) {
  const outcome = v.error ? "error" : v.passed ? "pass" : "fail";
  const score = v.score !== null && v.score !== undefined ? ` ${v.score}` : "";
  return el("span", { className: `verdict ${v.passed ? "pass" : "fail"}`, title: v.error || v.reason,
    textContent: `${v.name}: ${outcome}${score}` });
}

function sideCell(run) {
  if (!run) return el("td", { className: "side muted", textContent: "—" });
  const parts = [el("pre", { className: run.error_message ? "bad" : "", textContent: run.error_message || run.output })];
  const reasons = el("div", {}, run.verdicts.map(verdictChip));
  const why = run.verdicts.filter((v) => v.error || v.reason).map((v) => `${v.name}: ${v.error || v.reason}`);
  parts.push(reasons, el("p", { className: "muted small", textContent: why.join(" · ") }));
  if (run.status !== "pending" && run.status !== "running") parts.push(rateButton(run.id));
  return el("td", { className: "side" }, parts);
}

export function failed(run) {
  return run.status !== "complete" || run.verdicts.some((v) => !v.passed);
}

// Rows: one per (dataset row, repeat), filtered by failures only and by tag.
export function renderSideBySide(table, detail, runs, { failuresOnly, tag }) {
  const cells = detail.matrix.map((c) => ({ key: cellKey(c), name: cellName(c, detail.labels) }));
  const rowsInfo = detail.labels.rows;
  const lines = new Map();
  for (const run of runs) {
    const key = `${run.row ?? ""}|${run.repeat}`;
    if (!lines.has(key)) lines.set(key, { row: run.row, repeat: run.repeat, runs: new Map() });
    lines.get(key).runs.set(cellKey(run), run);
  }
  const shown = [...lines.values()].filter((line) => {
    const info = rowsInfo[line.row] || { tags: [] };
    if (tag && !info.tags.includes(tag)) return false;
    return !failuresOnly || [...line.runs.values()].some(failed);
  });
  table.tHead.replaceChildren(el("tr", {}, [el("th", { textContent: "Row", scope: "col" }),
    ...cells.map((c) => el("th", { textContent: c.name, scope: "col" }))]));
  table.tBodies[0].replaceChildren(...shown.map((line) => {
    const info = rowsInfo[line.row];
    const label = info ? `${JSON.stringify(info.values)}${info.expected ? ` → ${info.expected}` : ""}` : "—";
    const tags = info && info.tags.length ? ` [${info.tags.join(", ")}]` : "";
    return el("tr", {}, [el("th", { className: "side", scope: "row", textContent: `${label}${tags} #${line.repeat}` }),
      ...cells.map((c) => sideCell(line.runs.get(c.key)))]);
  }));
  return shown.length;
}

export function tagsOf(detail) {
  return [...new Set(Object.values(detail.labels.rows).flatMap((r) => r.tags))].sort();
}
