// One run of an experiment in full: status, timings, error, reasoning, output, schema problems, tool calls.
// Model output is only ever shown as text (textContent).
import { rateButton } from "./rating.js";
import { reasoningBlock } from "./reasoning.js";

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

const ms = (value) => (value === null || value === undefined ? "—" : `${Math.round(value)} ms`);
const flag = (value) => (value === null || value === undefined ? "—" : value ? "yes" : "no");

export function outputCard(run) {
  const head = el("div", { className: "output-head" }, [
    el("strong", { textContent: `#${run.repeat}` }),
    el("span", { className: `status status-${run.status}`, textContent: run.status }),
    el("span", { className: "muted", textContent: `valid: ${flag(run.valid)} · tool calls: ${flag(run.tool_calls_valid)}`
      + ` · TTFT ${ms(run.ttft_ms)} · ${ms(run.duration_ms)}` }),
  ]);
  const parts = [head];
  if (run.error_message) parts.push(el("p", { className: "bad", textContent: `${run.error_code}: ${run.error_message}` }));
  const thought = reasoningBlock({ reasoning: run.reasoning, status: run.status, content: run.output });
  if (thought) parts.push(thought);
  if (run.output) parts.push(el("pre", { className: "output", textContent: run.output }));
  for (const problem of run.validation_errors) {
    parts.push(el("p", { className: "bad small", textContent: `${problem.path}: ${problem.message}` }));
  }
  for (const call of run.tool_calls) {
    const verdict = call.validation.valid ? "valid" : call.validation.errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    parts.push(el("pre", { className: "output", textContent: `${call.name}(${call.arguments})  → ${verdict}` }));
  }
  if (run.status !== "pending" && run.status !== "running") parts.push(rateButton(run.id));
  return el("article", { className: "output-card" }, parts);
}
