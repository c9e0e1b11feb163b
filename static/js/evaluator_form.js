// The workbench part of the experiment form: prompt versions, a dataset, a cost cap and the evaluators
// (each a kind and its JSON config, checked by the server when the experiment is saved).

function choices() {
  const node = document.getElementById("workbench-data");
  return node ? JSON.parse(node.textContent) : { versions: [], datasets: [], evaluator_kinds: [] };
}

function item(list, config) {
  const text = document.createElement("code");
  text.textContent = JSON.stringify(config);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "ghost small";
  remove.textContent = "Remove";
  remove.setAttribute("aria-label", `Remove evaluator ${config.name || config.kind}`);
  const row = document.createElement("li");
  row.dataset.config = JSON.stringify(config);
  row.append(text, " ", remove);
  remove.addEventListener("click", () => { row.remove(); list.dispatchEvent(new Event("change", { bubbles: true })); });
  list.append(row);
}

export function readWorkbench(form) {
  const versions = [...form.querySelectorAll('input[name="prompt_version"]:checked')].map((box) => Number(box.value));
  const dataset = form.elements.dataset ? form.elements.dataset.value : "";
  const cap = form.elements.cost_cap ? form.elements.cost_cap.value.trim() : "";
  const evaluators = [...form.querySelectorAll("#evaluator-list li")].map((row) => JSON.parse(row.dataset.config));
  return { prompt_versions: versions, dataset: dataset ? Number(dataset) : null,
    cost_cap: cap === "" ? null : Number(cap), evaluators };
}

export function fillWorkbench(form, experiment) {
  const chosen = new Set(experiment.prompt_versions || []);
  form.querySelectorAll('input[name="prompt_version"]').forEach((box) => { box.checked = chosen.has(Number(box.value)); });
  if (form.elements.dataset) form.elements.dataset.value = experiment.dataset ? String(experiment.dataset) : "";
  if (form.elements.cost_cap) form.elements.cost_cap.value = experiment.cost_cap ?? "";
  const list = form.querySelector("#evaluator-list");
  if (!list) return;
  list.replaceChildren();
  for (const config of experiment.evaluators || []) item(list, config);
}

export function wireEvaluators(form) {
  const kind = form.querySelector("#evaluator-kind");
  if (!kind) return;
  const config = form.querySelector("#evaluator-config");
  const error = form.querySelector("#evaluator-error");
  const kinds = new Map(choices().evaluator_kinds.map((k) => [k.kind, k]));
  // A judge's provider and model are slugs the form does not show: start from the first model ticked above.
  const example = () => {
    const shown = { ...kinds.get(kind.value).example };
    const target = form.querySelector('input[name="target"]:checked');
    if (kind.value === "judge" && target && !shown.provider) [shown.provider, shown.model] = target.value.split("|");
    config.value = JSON.stringify(shown, null, 1);
  };
  kind.addEventListener("change", example);
  example();
  form.querySelector("#add-evaluator").addEventListener("click", () => {
    let parsed;
    try {
      parsed = JSON.parse(config.value || "{}");
    } catch (_) {
      error.textContent = "The evaluator's config is not valid JSON.";
      error.hidden = false;
      return;
    }
    error.hidden = true;
    item(form.querySelector("#evaluator-list"), { kind: kind.value, ...parsed });
  });
}
