// The reasoning controls of the settings panel: shown only for a model with the reasoning capability, and only
// those its API takes (capabilities.reasoning_controls: reasoning_effort, thinking_budget, think). Each left
// empty is not sent, so the conversation's earlier choice is cleared with the rest of `params`.
const CONTROLS = ["reasoning_effort", "thinking_budget", "think"];

export class ReasoningControls {
  constructor(root) {
    this.root = root;
    this.fields = Object.fromEntries(CONTROLS.map((name) => [name, root.querySelector(`[name=${name}]`)]));
    this.shown = [];
  }

  show(model) {
    const caps = (model && model.capabilities) || {};
    this.shown = caps.reasoning ? CONTROLS.filter((name) => (caps.reasoning_controls || []).includes(name)) : [];
    for (const name of CONTROLS) this.fields[name].closest("[data-control]").hidden = !this.shown.includes(name);
    this.root.hidden = !this.shown.length;
  }

  values() {
    const out = {};
    const raw = (name) => (this.shown.includes(name) ? this.fields[name].value.trim() : "");
    if (raw("reasoning_effort")) out.reasoning_effort = raw("reasoning_effort");
    const budget = parseInt(raw("thinking_budget"), 10);
    if (!Number.isNaN(budget)) out.thinking_budget = budget;
    if (raw("think")) out.think = raw("think") === "on";
    return out;
  }

  apply(params) {
    this.fields.reasoning_effort.value = params.reasoning_effort || "";
    this.fields.thinking_budget.value = params.thinking_budget ?? "";
    this.fields.think.value = params.think == null ? "" : params.think ? "on" : "off";
  }
}
