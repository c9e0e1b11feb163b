// The settings panel: provider and model pickers, system prompt, sampling params.
import { capabilityNames, priceText } from "./model_picker.js";
import { ReasoningControls } from "./reasoning_controls.js";
import { el } from "./dom.js";

const NUMBER_PARAMS = ["temperature", "top_p", "max_tokens", "seed", "presence_penalty", "frequency_penalty"];
const INTEGER_PARAMS = new Set(["max_tokens", "seed"]);

function option(value, label) {
  const el = document.createElement("option");
  el.value = value;
  el.textContent = label;
  return el;
}

export class SettingsPanel {
  constructor(form, providers) {
    this.form = form;
    this.providers = providers;
    this.provider = form.querySelector("#provider");
    this.model = form.querySelector("#model");
    this.price = document.getElementById("model-price");
    this.caps = document.getElementById("model-caps");
    this.reasoning = new ReasoningControls(form.querySelector("#reasoning-controls"));
    this.empty = el("p", "model-empty");
    this.empty.id = "model-empty";
    this.empty.hidden = true;
    this.model.after(this.empty);
    this.update(providers);
    this.provider.addEventListener("change", () => this.fillModels());
    this.model.addEventListener("change", () => this.showPrice());
  }

  current() {
    return this.providers.find((p) => p.slug === this.provider.value);
  }

  // The model picked now ({id, name, capabilities, …}), or undefined.
  currentModel() {
    const provider = this.current();
    return provider && provider.models.find((m) => m.id === this.model.value);
  }

  fillModels(selected) {
    const provider = this.current();
    this.model.replaceChildren();
    this.showEmpty(provider);
    if (!provider) return this.showPrice();
    const models = [...provider.models];
    const wanted = selected || provider.default_model;
    if (wanted && !models.some((m) => m.id === wanted)) models.unshift({ id: wanted, name: wanted, price: null });
    models.forEach((m) => this.model.append(option(m.id, m.name)));
    if (wanted) this.model.value = wanted;
    this.showPrice();
  }

  showPrice() {
    const provider = this.current();
    const model = provider && provider.models.find((m) => m.id === this.model.value);
    this.price.textContent = model ? priceText(model) : "";
    const caps = model ? capabilityNames(model) : [];
    this.caps.textContent = caps.length ? `Can use: ${caps.join(", ")}` : "";
    this.reasoning.show(model);
  }

  // A provider with no model to pick says why where the model is picked; an admin gets the page to fix it.
  showEmpty(provider) {
    const reason = provider && !provider.models.length && !provider.default_model ? provider.empty_reason : "";
    this.empty.hidden = !reason;
    this.model.disabled = Boolean(reason);
    this.empty.replaceChildren(reason || "");
    if (reason && provider.admin_url) {
      const link = el("a", "", "Open the provider's page");
      link.href = provider.admin_url;
      this.empty.append(" ", link);
    }
  }

  // The choices now (GET /api/providers, asked when the page regains focus); the current pick stays.
  update(providers) {
    const slug = this.provider.value;
    const model = this.model.value;
    this.providers = providers;
    this.provider.replaceChildren();
    if (!providers.length) this.provider.append(option("", "No provider enabled"));
    providers.forEach((p) => this.provider.append(option(p.slug, p.name)));
    const kept = providers.some((p) => p.slug === slug);
    if (kept) this.provider.value = slug;
    this.fillModels(kept ? model || undefined : undefined);
  }

  // A model found with "Find a model" (static/js/model_picker.js).
  choose(slug, modelId) {
    this.provider.value = slug;
    this.fillModels(modelId);
  }

  values() {
    const params = {};
    for (const name of NUMBER_PARAMS) {
      const raw = this.form.elements[name].value.trim();
      if (raw === "") continue;
      const value = INTEGER_PARAMS.has(name) ? parseInt(raw, 10) : parseFloat(raw);
      if (!Number.isNaN(value)) params[name] = value;
    }
    const stop = this.form.elements.stop.value.split("\n").filter((s) => s !== "").slice(0, 4);
    if (stop.length) params.stop = stop;
    Object.assign(params, this.reasoning.values());
    const out = { provider: this.provider.value, model: this.model.value, params };
    const system = this.form.elements.system.value;
    if (system.trim()) out.system = system;
    return out;
  }

  apply(settings) {
    if (!settings) return;
    if (settings.provider && this.providers.some((p) => p.slug === settings.provider)) {
      this.provider.value = settings.provider;
      this.fillModels(settings.model);
    }
    this.form.elements.system.value = settings.system || "";
    const params = settings.params || {};
    for (const name of NUMBER_PARAMS) this.form.elements[name].value = params[name] ?? "";
    this.form.elements.stop.value = (params.stop || []).join("\n");
    this.reasoning.apply(params);
  }
}
