// Comparing two run sets of an experiment: rows that regressed or improved, and the change in pass rate and
// cost with its 95% bootstrap interval (computed by the server).
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);

function line(text, className = "") {
  const node = document.createElement("li");
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function rowName(change, labels) {
  const info = labels[change.row];
  return info ? `${JSON.stringify(info.values)}${info.tags.length ? ` [${info.tags.join(", ")}]` : ""}` : `run ${change.row}`;
}

function show(result) {
  const ci = (pair, unit = "") => (pair ? ` (95% CI ${unit}${pair[0]} to ${unit}${pair[1]})` : "");
  const summary = `#${result.b} against #${result.a}, over ${result.rows} rows: pass rate ${result.pass_pct_before ?? "—"}% → `
    + `${result.pass_pct_after ?? "—"}%, ${result.pass_diff_pct ?? "—"} points${ci(result.pass_diff_ci)}; cost $`
    + `${result.cost_before} → $${result.cost_after}, $${result.cost_diff_per_row ?? "—"} per row${ci(result.cost_diff_ci, "$")}.`;
  $("compare-summary").textContent = summary;
  const items = [
    ...result.regressed.map((c) => line(`Regressed: ${rowName(c, result.row_labels)}: ${c.before}% → ${c.after}%`, "bad")),
    ...result.improved.map((c) => line(`Improved: ${rowName(c, result.row_labels)}: ${c.before}% → ${c.after}%`, "good")),
  ];
  $("compare-rows").replaceChildren(...(items.length ? items : [line("No row changed.")]));
}

export function renderCompareChoices(batches) {
  for (const [id, offset] of [["compare-a", 2], ["compare-b", 1]]) {
    const select = $(id);
    const kept = select.value;
    select.replaceChildren(...batches.map((b) => {
      const option = document.createElement("option");
      option.value = String(b.number);
      option.textContent = `#${b.number} · ${b.status}`;
      return option;
    }));
    const fallback = batches[Math.max(0, batches.length - offset)];
    const keep = select.dataset.picked === "true" && batches.some((b) => String(b.number) === kept);
    select.value = keep ? kept : fallback ? String(fallback.number) : "";
  }
  $("compare-panel").hidden = batches.length < 2;
}

export function wireCompare(experimentId, showError) {
  for (const id of ["compare-a", "compare-b"]) $(id).addEventListener("change", () => { $(id).dataset.picked = "true"; });
  $("compare-run").addEventListener("click", async () => {
    showError(null);
    try {
      const query = new URLSearchParams({ a: $("compare-a").value, b: $("compare-b").value });
      show(await api("GET", `/api/experiments/${experimentId}/compare?${query}`));
    } catch (error) {
      showError(error);
    }
  });
}
