// The settings panel: provider and model pickers, system prompt, sampling params.
import { capabilityNames, priceText } from "./model_picker.js";

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
    this.fillProviders();
    this.provider.addEventListener("change", () => this.fillModels());
    this.model.addEventListener("change", () => this.showPrice());
  }

  fillProviders() {
    this.provider.replaceChildren();
    if (!this.providers.length) this.provider.append(option("", "No provider enabled"));
    this.providers.forEach((p) => this.provider.append(option(p.slug, p.name)));
    this.fillModels();
  }

  current() {
    return this.providers.find((p) => p.slug === this.provider.value);
  }

  fillModels(selected) {
    const provider = this.current();
    this.model.replaceChildren();
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
  }
}
