// A reply's reasoning (thinking), shown apart from its answer in a block that folds.
//
// Open while the reasoning streams, folded once the answer starts; labelled "Thinking…" until the reply ends,
// then "Thought for 4.2 s" (metrics.reasoning_ms). Reasoning is model output: it only ever goes in as text.
import { el } from "./dom.js";

export function reasoningLabel(message) {
  if (message.status === "streaming") return "Thinking…";
  const ms = (message.metrics || {}).reasoning_ms;
  return ms != null ? `Thought for ${(ms / 1000).toFixed(1)} s` : "Reasoning";
}

// A <details> for a message with reasoning, or null; `open` while only reasoning has come so far.
export function reasoningBlock(message, { open } = {}) {
  if (!message.reasoning) return null;
  const block = el("details", "reasoning");
  block.open = open ?? (message.status === "streaming" && !message.content);
  block.append(el("summary", "reasoning-label", reasoningLabel(message)), el("div", "reasoning-text", message.reasoning));
  return block;
}
