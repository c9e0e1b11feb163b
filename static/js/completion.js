// Text completion mode: a raw prompt continued by the model (/v1/completions). The reply is drawn as the prompt
// followed by its continuation; with logprobs, each token of it can be read (hover or keyboard focus) with its
// probability and the likeliest alternatives, in one shared tooltip. Everything is built with DOM APIs from
// data: model output only ever goes in as text.
import { el } from "./dom.js";
import { registerMode } from "./modes.js";

const form = () => document.getElementById("settings-form");

registerMode("completion", {
  label: "Completion", composerLabel: "Prompt", labels: { user: "Prompt", assistant: "Completion" },
  placeholder: "A raw prompt for the model to continue (Enter to send, Shift+Enter for a new line)",
  frame(values) {
    const params = { ...(values.params || {}) };
    const top = parseInt(form().elements.logprobs.value, 10);
    if (!Number.isNaN(top)) params.logprobs = top;
    if (form().elements.echo.checked) params.echo = true;
    // A completion sends no chat history, tools, schema or compare set: they are cleared for this turn.
    const { compare, ...rest } = values; // eslint-disable-line no-unused-vars
    return { ...rest, params, tools: [], tool_choice: null, response_format: null, mode: "completion" };
  },
  apply(settings) {
    const params = settings.params || {};
    form().elements.logprobs.value = params.logprobs ?? "";
    form().elements.echo.checked = Boolean(params.echo);
  },
  body: completionBody,
  // A model known not to serve text completion: said before sending (the server refuses it too).
  blockReason({ model }) {
    if (!model || model.capabilities?.completions !== false) return "";
    return `${model.name} does not serve text completion: pick a model that does, or switch to Chat.`;
  },
});

function percent(logprob) {
  if (logprob == null) return "";
  const p = Math.exp(logprob) * 100;
  return p >= 10 ? `${p.toFixed(1)}%` : `${p.toPrecision(2)}%`;
}

// Whitespace made visible in the tooltip, so " the" and "the" can be told apart.
function shown(token) {
  return JSON.stringify(token).slice(1, -1).replace(/ /g, "␣");
}

// The prompt and what continued it. `context.prompt` is the parent message's text; with echo the reply's own text
// starts with it (and so do its tokens).
export function completionBody(message, context) {
  if (message.role !== "assistant") return el("div", "msg-body plain completion-prompt-text", message.content || "");
  const prompt = context.prompt || "";
  const content = message.content || "";
  const echoed = prompt !== "" && content.startsWith(prompt);
  const body = el("div", "msg-body plain completion-text");
  body.append(el("span", "completion-prompt", echoed ? "" : prompt));
  const tokens = message.status !== "streaming" && Array.isArray(message.logprobs) ? message.logprobs : null;
  if (!tokens || !tokens.length) {
    const rest = el("span", "completion-continuation", content);
    rest.dataset.streamText = "";
    body.append(rest);
    if (echoed) {
      body.firstChild.textContent = prompt;
      rest.textContent = content.slice(prompt.length);
    }
    return body;
  }
  body.append(tokenView(tokens, echoed ? prompt.length : 0));
  return body;
}

// One span per token inside a group with a single tab stop: arrow keys move between tokens (roving tabindex).
function tokenView(tokens, promptChars) {
  const group = el("span", "completion-continuation tokens");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Completion tokens: use the arrow keys to hear each token's probability");
  let offset = 0;
  tokens.forEach((token, index) => {
    const span = el("span", offset < promptChars ? "tok tok-prompt" : "tok", token.token);
    span.dataset.index = index;
    span.tabIndex = index === 0 ? 0 : -1;
    offset += token.token.length;
    group.append(span);
  });
  const tip = tooltip();
  const show = (span) => fillTip(tip, span, tokens[Number(span.dataset.index)]);
  group.addEventListener("mouseover", (event) => { const span = event.target.closest(".tok"); if (span) show(span); });
  group.addEventListener("mouseleave", () => hideTip(tip));
  group.addEventListener("focusin", (event) => { const span = event.target.closest(".tok"); if (span) show(span); });
  group.addEventListener("focusout", () => hideTip(tip));
  group.addEventListener("keydown", (event) => move(event, group, tip));
  return group;
}

function move(event, group, tip) {
  const spans = [...group.querySelectorAll(".tok")];
  const at = spans.indexOf(document.activeElement);
  if (event.key === "Escape") {
    if (!tip.hidden) { hideTip(tip); event.stopPropagation(); }
    return;
  }
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity }[event.key];
  if (step === undefined || at < 0) return;
  event.preventDefault();
  const next = Math.max(0, Math.min(spans.length - 1, Number.isFinite(step) ? at + step : step > 0 ? spans.length - 1 : 0));
  spans[at].tabIndex = -1;
  spans[next].tabIndex = 0;
  spans[next].focus();
}

// One tooltip for the page, described-by from the token that shows it.
function tooltip() {
  let tip = document.getElementById("token-tip");
  if (!tip) {
    tip = el("div", "token-tip");
    tip.id = "token-tip";
    tip.setAttribute("role", "tooltip");
    tip.hidden = true;
    document.body.append(tip);
  }
  return tip;
}

function fillTip(tip, span, token) {
  const head = el("p", "token-tip-head");
  head.append(el("code", "", shown(token.token)));
  head.append(token.logprob == null ? " · no logprob (the first token of the prompt)"
    : ` · logprob ${token.logprob.toFixed(3)} (${percent(token.logprob)})`);
  const children = [head];
  if (token.top && token.top.length) {
    const list = el("ol", "token-tip-list");
    list.setAttribute("aria-label", "Top alternatives");
    for (const alt of token.top) {
      const item = el("li", alt.token === token.token ? "chosen" : "");
      item.append(el("code", "", shown(alt.token)), ` ${percent(alt.logprob)}`);
      list.append(item);
    }
    children.push(el("p", "token-tip-sub", "Top alternatives"), list);
  }
  tip.replaceChildren(...children);
  document.querySelectorAll("[aria-describedby='token-tip']").forEach((node) => node.removeAttribute("aria-describedby"));
  span.setAttribute("aria-describedby", "token-tip");
  tip.hidden = false;
  const box = span.getBoundingClientRect();
  const width = Math.min(280, window.innerWidth - 16);
  tip.style.maxWidth = `${width}px`;
  tip.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - width - 8))}px`;
  const below = box.bottom + 6;
  tip.style.top = `${below + tip.offsetHeight > window.innerHeight ? Math.max(8, box.top - tip.offsetHeight - 6) : below}px`;
}

function hideTip(tip) {
  tip.hidden = true;
}
