// The experiment form (create and edit): reading it into the API's shape, filling it from an
// experiment, and submitting it with errors shown next to it.
import { fillWorkbench, readWorkbench, wireEvaluators } from "./evaluator_form.js";
import { Attachments } from "./attachments.js";

export function showError(node, error) {
  node.textContent = error ? (error.message || String(error)) : "";
  node.hidden = !error;
}

// The form ---------------------------------------------------------------------------

function number(form, name) {
  const raw = form.elements[name].value.trim();
  return raw === "" ? null : Number(raw);
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (_) {
    throw new Error(`${what} is not valid JSON.`);
  }
}

function readForm(form) {
  const params = {};
  for (const name of ["temperature", "max_tokens", "top_p", "seed"]) {
    const value = number(form, name);
    if (value !== null) params[name] = value;
  }
  const format = form.elements.format.value;
  let responseFormat = null;
  if (format === "json_object") responseFormat = { type: "json_object" };
  if (format === "json_schema") {
    const schema = parseJson(form.elements.schema.value || "{}", "The JSON Schema");
    responseFormat = { type: "json_schema", json_schema: { name: "response", schema, strict: true } };
  }
  const toolsText = form.elements.tools.value.trim();
  const targets = [...form.querySelectorAll('input[name="target"]:checked')].map((box) => {
    const [provider, ...model] = box.value.split("|");
    return { provider, model: model.join("|") };
  });
  return {
    name: form.elements.name.value, system: form.elements.system.value, prompt: form.elements.prompt.value,
    targets, repeats: number(form, "repeats"), concurrency: number(form, "concurrency"), params,
    response_format: responseFormat, tools: toolsText ? parseJson(toolsText, "Tools") : [],
    tool_choice: form.elements.tool_choice.value || null, ...readWorkbench(form),
    images: form.attachments ? form.attachments.ids() : [],
  };
}

export function fillForm(form, experiment) {
  const last = experiment.messages[experiment.messages.length - 1];
  form.elements.name.value = experiment.name;
  form.elements.system.value = experiment.system || "";
  form.elements.prompt.value = last ? last.content : "";
  fillWorkbench(form, experiment);
  form.elements.repeats.value = experiment.repeats;
  form.elements.concurrency.value = experiment.concurrency ?? "";
  for (const name of ["temperature", "max_tokens", "top_p", "seed"]) {
    form.elements[name].value = experiment.params[name] ?? "";
  }
  const chosen = new Set(experiment.targets.map((t) => `${t.provider}|${t.model}`));
  form.querySelectorAll('input[name="target"]').forEach((box) => { box.checked = chosen.has(box.value); });
  const fmt = experiment.response_format || { type: "text" };
  form.elements.format.value = fmt.type;
  form.elements.schema.value = fmt.json_schema ? JSON.stringify(fmt.json_schema.schema, null, 1) : "";
  form.elements.tools.value = experiment.tools.length ? JSON.stringify(experiment.tools, null, 1) : "";
  form.elements.tool_choice.value = typeof experiment.tool_choice === "string" ? experiment.tool_choice : "";
  syncSchemaBox(form);
  if (form.attachments) {
    form.attachments.images = [...(last && last.images) || []];
    form.attachments.render();
  }
}

function syncSchemaBox(form) {
  form.querySelector("#schema-box").hidden = form.elements.format.value !== "json_schema";
}

// Images for the user message: the chat's attachments (button, drop, paste; a thumbnail each, removable).
function wireAttachments(form, error) {
  const attach = form.querySelector("#exp-attach");
  if (!attach) return;
  const prompt = form.elements.prompt;
  const status = form.querySelector("#exp-attach-status");
  form.attachments = new Attachments({
    list: form.querySelector("#exp-attachments"), attach, input: form.querySelector("#exp-attach-input"),
    dropZone: prompt, pasteTarget: prompt,
    onChange: () => { form.querySelector('button[type="submit"]').disabled = Boolean(form.attachments?.uploading); },
    onError: (text) => showError(error, new Error(text)), onAnnounce: (text) => { status.textContent = text; },
  });
}

export function wireForm(form, submit) {
  const error = form.querySelector("#form-error");
  wireAttachments(form, error);
  form.elements.format.addEventListener("change", () => syncSchemaBox(form));
  wireEvaluators(form);
  // An error is about what was submitted: once the form changes, it no longer describes it.
  for (const kind of ["input", "change"]) form.addEventListener(kind, () => showError(error, null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, null);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await submit(readForm(form));
    } catch (failure) {
      showError(error, failure);
    } finally {
      button.disabled = false;
    }
  });
}
