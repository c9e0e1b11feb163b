// Experiments: the list page (create form) and one experiment (run, cancel, live progress, results).
// Model output is only ever shown as text (textContent), never as HTML.
import { api, ApiError } from "./api.js";
import { ChatSocket } from "./socket.js";
import { fillForm, showError, wireForm } from "./experiment_form.js";
import { outputCard } from "./run_output.js";
import { renderMatrix, renderSideBySide, tagsOf } from "./run_matrix.js";
import { renderCompareChoices, wireCompare } from "./run_compare.js";

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Formatting -----------------------------------------------------------------------------

const ms = (value) => (value === null || value === undefined ? "—" : `${Math.round(value)} ms`);
const pct = (value) => (value === null || value === undefined ? "—" : `${value}%`);
const flag = (value) => (value === null || value === undefined ? "—" : value ? "yes" : "no");
const money = (value) => (value === null || value === undefined ? "—" : `$${value.toFixed(6)}`);
const tokens = (a, b) => (a === null && b === null ? "—" : `${a ?? 0} / ${b ?? 0}`);
const modelKey = (row) => `${row.provider}|${row.model}`;

// One experiment ------------------------------------------------------------------------------

class ExperimentPage {
  constructor(root) {
    this.id = Number(root.dataset.experimentId);
    this.canEdit = root.dataset.canEdit === "true";
    this.experiment = null;
    this.batches = [];
    this.batch = null; // the run set shown
    this.runs = new Map();
    this.openCell = null;
    this.wire();
    this.load();
    this.connect();
  }

  wire() {
    $("run").addEventListener("click", () => this.act("run"));
    $("cancel").addEventListener("click", () => this.act("cancel"));
    $("resume").addEventListener("click", () => this.act(`batches/${this.batch.number}/resume`));
    $("batch").addEventListener("change", () => {
      const number = Number($("batch").value);
      $("batch").dataset.picked = String(number !== this.newestNumber());
      this.load(number);
    });
    for (const id of ["failures-only", "tag-filter"]) $(id).addEventListener("change", () => this.renderSide());
    wireCompare(this.id, (error) => showError($("action-error"), error));
    $("close-outputs").addEventListener("click", () => { $("outputs-panel").hidden = true; this.openCell = null; });
    $("results").addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-key]");
      if (row) this.showOutputs(row.dataset.provider, row.dataset.model);
    });
    if (!this.canEdit) return;
    const form = $("experiment-form");
    $("edit").addEventListener("click", () => {
      fillForm(form, this.experiment);
      $("edit-panel").hidden = false;
      form.elements.name.focus();
    });
    $("cancel-edit").addEventListener("click", () => { $("edit-panel").hidden = true; });
    wireForm(form, async (data) => {
      this.render(await api("PATCH", `/api/experiments/${this.id}`, data));
      $("edit-panel").hidden = true;
    });
    $("delete").addEventListener("click", async () => {
      if (!window.confirm("Delete this experiment and every run set of it?")) return;
      try {
        await api("DELETE", `/api/experiments/${this.id}`);
        window.location.assign("/experiments/");
      } catch (error) {
        showError($("action-error"), error);
      }
    });
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    this.socket = new ChatSocket(`${scheme}://${window.location.host}/ws/experiments/`);
    this.socket.onstate = (state) => {
      $("connection").dataset.state = state;
      $("connection").textContent = state === "online" ? "live" : state === "offline" ? "reconnecting…" : "connecting…";
    };
    this.socket.onopen = () => this.socket.send({ type: "experiment.watch", experiment_id: this.id }, { queue: false });
    this.socket.on("experiment.state", (state) => this.onState(state));
    this.socket.on("experiment.batch", (frame) => this.onBatch(frame));
    this.socket.on("experiment.run", (frame) => this.onRun(frame));
    this.socket.on("experiment.progress", (frame) => this.onProgress(frame));
  }

  async act(what) {
    showError($("action-error"), null);
    try {
      const answer = await api("POST", `/api/experiments/${this.id}/${what}`);
      if (what === "run" && answer && answer.batch && (!this.batch || answer.batch.number > this.batch.number)) {
        this.onBatch({ batch: answer.batch, runs: [], stats: null });
      }
    } catch (error) {
      showError($("action-error"), error instanceof ApiError ? error : new Error("The server did not answer."));
    }
  }

  async load(number) {
    const query = number ? `?batch=${number}` : "";
    try {
      this.render(await api("GET", `/api/experiments/${this.id}${query}`));
    } catch (error) {
      showError($("action-error"), error);
    }
  }

  // Rendering what the server says ---------------------------------------------------------

  onState(state) {
    // Someone picked an older run set from the list: a state frame (a reconnect) does not pull them away.
    if ($("batch").dataset.picked === "true") {
      this.batches = state.batches;
      this.renderBatches();
      return;
    }
    this.render(state, state.live);
  }

  render(detail, live = null) {
    this.experiment = detail.experiment;
    this.batches = detail.batches;
    this.batch = detail.batch;
    this.runs = new Map(detail.runs.map((run) => [run.id, run]));
    this.pendingLabels = detail.labels ? detail.labels.versions : {};
    $("experiment-name").textContent = this.experiment.name;
    this.renderSpec();
    this.renderBatches();
    this.renderStats(detail.stats);
    this.renderRuns();
    this.renderWorkbench(detail);
    const done = detail.runs.filter((r) => !["pending", "running"].includes(r.status)).length;
    this.renderProgress(this.batch ? (live ? live.done : done) : 0, this.batch ? this.batch.total : 0,
      this.batch ? this.batch.status : null);
  }

  detailLabels() {
    return this.pendingLabels || {};
  }

  renderSpec() {
    const e = this.experiment;
    const fmt = e.response_format ? e.response_format.type : "text";
    const items = [
      ["System", e.system || "—"], ["User message", e.messages.length ? e.messages[e.messages.length - 1].content : "—"],
      ["Models", e.targets.map((t) => `${t.provider} · ${t.model}`).join(", ")],
      ["Repeats", String(e.repeats)], ["At once per provider", String(e.concurrency ?? "default")],
      ["Response format", fmt], ["Tools", e.tools.length ? e.tools.map((t) => t.function.name).join(", ") : "—"],
      ["Params", Object.keys(e.params).length ? JSON.stringify(e.params) : "—"],
    ];
    const labels = this.detailLabels();
    if (e.prompt_versions.length) items.push(["Prompt versions", e.prompt_versions.map((v) => labels[v] || `v${v}`).join(", ")]);
    if (e.evaluators.length) items.push(["Evaluators", e.evaluators.map((v) => v.name).join(", ")]);
    if (e.cost_cap) items.push(["Cost cap", money(e.cost_cap)]);
    $("spec").replaceChildren(...items.flatMap(([term, value]) => [el("dt", { textContent: term }),
      el("dd", { textContent: value })]));
  }

  // The workbench: matrix, outputs side by side, comparing (shown when the experiment has any of them).
  renderWorkbench(detail) {
    this.detail = detail;
    const e = detail.experiment;
    const on = Boolean(e.prompt_versions.length || e.dataset || e.evaluators.length);
    $("matrix-panel").hidden = !on || !this.batch;
    $("side-panel").hidden = !on || !this.batch;
    if (!on) return;
    renderMatrix($("matrix"), detail);
    const tags = $("tag-filter");
    const picked = tags.value;
    tags.replaceChildren(el("option", { value: "", textContent: "Any" }),
      ...tagsOf(detail).map((t) => el("option", { value: t, textContent: t })));
    tags.value = picked;
    this.renderSide();
  }

  renderSide() {
    if (!this.detail || $("side-panel").hidden) return;
    const shown = renderSideBySide($("side"), this.detail, [...this.runs.values()],
      { failuresOnly: $("failures-only").checked, tag: $("tag-filter").value });
    $("side-count").textContent = `${shown} rows shown`;
  }

  renderBatches() {
    const select = $("batch");
    select.replaceChildren(...[...this.batches].reverse().map((b) => el("option", {
      value: String(b.number), textContent: `#${b.number} · ${b.status}${b.started_by ? ` · ${b.started_by}` : ""}`,
    })));
    if (this.batch) select.value = String(this.batch.number);
    select.disabled = this.batches.length < 2;
    renderCompareChoices(this.batches);
  }

  newestNumber() {
    return this.batches.length ? this.batches[this.batches.length - 1].number : 0;
  }

  // Once a run set has ended, count the runs that produced an answer, and the cancelled ones apart.
  progressText(done, total, status) {
    if (status === "running") return `${done} / ${total} runs · running${this.soFar || ""}`;
    // Runs not finished when a run set ended were cancelled, running or still waiting.
    const finished = [...this.runs.values()].filter((run) => run.status === "complete" || run.status === "error").length;
    const cancelled = total - finished;
    const reason = this.batch && this.batch.reason ? ` · ${this.batch.reason}` : "";
    return `${finished} / ${total} runs · ${status}${cancelled ? ` · ${cancelled} cancelled` : ""}${reason}`;
  }

  renderProgress(done, total, status) {
    const bar = $("progress");
    bar.max = Math.max(total, 1);
    bar.value = done;
    const text = $("progress-text");
    text.dataset.status = status || "none";
    text.textContent = status ? this.progressText(done, total, status) : "Not run yet.";
    const running = status === "running" && this.batch && this.batch.number === this.newestNumber();
    $("run").disabled = running;
    $("run").textContent = this.batches.length ? "Run again" : "Run";
    $("cancel").hidden = !running;
    const newest = this.batches[this.batches.length - 1];
    $("resume").hidden = !["interrupted", "cancelled"].includes(status) || (newest && newest.status === "running");
  }

  renderStats(stats) {
    const body = $("results").tBodies[0];
    if (!stats) return;
    body.replaceChildren(...stats.map((s) => el("tr", {
      dataset: { key: modelKey(s), provider: s.provider, model: s.model }, tabIndex: 0, className: "clickable",
      title: "Show the outputs",
    }, [
      el("td", { textContent: `${s.provider} · ${s.model}` }),
      el("td", { textContent: `${s.runs} / ${s.total}` }),
      el("td", { textContent: pct(s.valid_pct) }), el("td", { textContent: pct(s.tool_valid_pct) }),
      el("td", { textContent: String(s.errors), className: s.errors ? "bad" : "" }),
      el("td", { textContent: ms(s.ttft_median_ms) }), el("td", { textContent: ms(s.ttft_p90_ms) }),
      el("td", { textContent: ms(s.duration_median_ms) }), el("td", { textContent: ms(s.duration_p90_ms) }),
      el("td", { textContent: tokens(s.prompt_tokens, s.completion_tokens) }),
      el("td", { textContent: money(s.cost) }),
    ])));
    body.querySelectorAll("tr").forEach((row) => row.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.showOutputs(row.dataset.provider, row.dataset.model);
    }));
  }

  renderRuns() {
    const rows = [...this.runs.values()].sort((a, b) => a.provider.localeCompare(b.provider)
      || a.model.localeCompare(b.model) || a.repeat - b.repeat);
    $("runs").tBodies[0].replaceChildren(...rows.map((run) => this.runRow(run)));
  }

  runRow(run) {
    const finished = !["pending", "running"].includes(run.status);
    const note = run.error_message || run.output;
    return el("tr", { dataset: { runId: String(run.id), status: run.status } }, [
      el("td", { textContent: `${run.provider} · ${run.model}` }), el("td", { textContent: String(run.repeat) }),
      el("td", {}, [el("span", { className: `status status-${run.status}`, textContent: run.status })]),
      el("td", { textContent: finished ? flag(run.valid) : "" }),
      el("td", { textContent: finished ? flag(run.tool_calls_valid) : "" }),
      el("td", { textContent: finished ? ms(run.ttft_ms) : "" }),
      el("td", { textContent: finished ? ms(run.duration_ms) : "" }),
      el("td", { textContent: finished ? tokens(run.prompt_tokens, run.completion_tokens) : "" }),
      el("td", { textContent: finished ? money(run.cost) : "" }),
      el("td", { className: `preview${run.error_message ? " bad" : ""}`, textContent: (note || "").slice(0, 160) }),
    ]);
  }

  // Live frames -------------------------------------------------------------------------------

  onBatch(frame) {
    const known = this.batches.find((b) => b.number === frame.batch.number);
    if (!known) this.batches.push(frame.batch);
    else Object.assign(known, frame.batch);
    $("batch").dataset.picked = "false";
    if (!this.batch || frame.batch.number >= this.batch.number) {
      this.batch = frame.batch;
      if (frame.runs.length || !known) this.runs = new Map(frame.runs.map((run) => [run.id, run]));
      if (frame.stats) this.renderStats(frame.stats);
      this.renderRuns();
    }
    this.renderBatches();
    this.renderProgress(frame.runs.filter((r) => r.status !== "pending").length, frame.batch.total, "running");
  }

  onRun(frame) {
    if (!this.batch || frame.batch_id !== this.batch.id) return;
    this.runs.set(frame.run.id, frame.run);
    const existing = $("runs").querySelector(`tr[data-run-id="${frame.run.id}"]`);
    if (existing) existing.replaceWith(this.runRow(frame.run));
    else this.renderRuns();
    this.renderSide();
    if (this.openCell === modelKey(frame.run)) this.showOutputs(frame.run.provider, frame.run.model);
  }

  onProgress(frame) {
    const known = this.batches.find((b) => b.id === frame.batch_id);
    if (known) known.status = frame.status;
    if (!this.batch || frame.batch_id !== this.batch.id) {
      this.renderBatches();
      return;
    }
    this.batch.status = frame.status;
    if (frame.reason) this.batch.reason = frame.reason;
    this.soFar = "spent" in frame ? ` · pass rate so far ${pct(frame.pass_pct)} · spent ${money(frame.spent)}`
      + (frame.eta_seconds !== null ? ` · about ${Math.ceil(frame.eta_seconds)} s left` : "") : "";
    this.renderStats(frame.stats);
    if (frame.matrix && this.detail) { // a workbench run set: its matrix fills in as runs end
      $("matrix-panel").hidden = false;
      renderMatrix($("matrix"), { ...this.detail, matrix: frame.matrix });
    }
    this.renderBatches();
    this.renderProgress(frame.done, frame.total, frame.status);
    if (frame.status !== "running") this.load(this.batch.number); // the stored, final state
  }

  // Outputs of one model -------------------------------------------------------------------------

  async showOutputs(provider, model) {
    if (!this.batch) return;
    this.openCell = `${provider}|${model}`;
    const query = new URLSearchParams({ provider, model });
    let data;
    try {
      data = await api("GET", `/api/experiments/${this.id}/batches/${this.batch.number}/runs?${query}`);
    } catch (error) {
      showError($("action-error"), error);
      return;
    }
    $("outputs-heading").textContent = `Outputs · ${provider} · ${model} · run set #${this.batch.number}`;
    $("outputs").replaceChildren(...data.runs.map((run) => outputCard(run)));
    $("outputs-panel").hidden = false;
  }
}

// The list page ------------------------------------------------------------------------------------

function listPage(form) {
  wireForm(form, async (data) => {
    const created = await api("POST", "/api/experiments", data);
    window.location.assign(`/experiments/${created.experiment.id}/`);
  });
}

const root = $("experiment");
if (root) new ExperimentPage(root);
else if ($("experiment-form")) listPage($("experiment-form"));
