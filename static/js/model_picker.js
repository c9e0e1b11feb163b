// "Find a model": a searchable list of every enabled model, grouped by provider, with what each can do and its
// price. Picking one sets the Provider and Model selects of the settings panel (static/js/settings.js).
import { el } from "./dom.js";

const SHOWN = 60; // options listed at once; more: keep typing

export function capabilityNames(model) {
  const caps = model.capabilities || {};
  return [caps.tools && "tools", caps.json_schema && "JSON schema", caps.reasoning && "reasoning",
    caps.vision && "images", caps.completions && "text completion",
    caps.image_generation && "image generation"].filter(Boolean);
}

export function priceText(model) {
  const tokens = model.price ? `$${model.price.input} in / $${model.price.output} out per million tokens` : "";
  const image = model.image_price != null ? `$${model.image_price} per image` : "";
  return [tokens, image].filter(Boolean).join(" · ");
}

export class ModelPicker {
  constructor(input, list, providers, { onPick }) {
    this.input = input;
    this.list = list;
    this.onPick = onPick;
    this.setProviders(providers);
    this.options = [];
    this.active = -1;
    input.addEventListener("input", () => this.open()); // not on focus: the list would cover the selects below
    input.addEventListener("blur", () => this.close());
    input.addEventListener("keydown", (event) => this.key(event));
    list.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the search box
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.pick(this.options.indexOf(option));
    });
  }

  setProviders(providers) {
    this.entries = providers.flatMap((provider) => provider.models.map((model) => ({
      provider, model, text: [provider.name, provider.slug, model.id, model.name, ...capabilityNames(model)]
        .join(" ").toLowerCase(),
    })));
  }

  matches() {
    const terms = this.input.value.toLowerCase().split(/\s+/).filter(Boolean);
    return this.entries.filter((entry) => terms.every((term) => entry.text.includes(term)));
  }

  open() {
    const found = this.matches();
    this.options = [];
    const groups = new Map();
    for (const entry of found.slice(0, SHOWN)) {
      if (!groups.has(entry.provider.slug)) groups.set(entry.provider.slug, { provider: entry.provider, entries: [] });
      groups.get(entry.provider.slug).entries.push(entry);
    }
    const nodes = [...groups.values()].map(({ provider, entries }) => this.group(provider, entries));
    if (!found.length) nodes.push(el("div", "model-note muted small", "No model matches."));
    if (found.length > SHOWN) nodes.push(el("div", "model-note muted small", `${found.length - SHOWN} more: keep typing.`));
    this.list.replaceChildren(...nodes);
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.setActive(this.options.length ? 0 : -1);
  }

  group(provider, entries) {
    const group = el("div", "model-group");
    group.setAttribute("role", "group");
    const label = el("div", "model-group-label", provider.name);
    label.id = `model-group-${provider.slug}`;
    group.setAttribute("aria-labelledby", label.id);
    group.append(label, ...entries.map((entry) => this.option(entry)));
    return group;
  }

  option({ provider, model }) {
    const option = el("div", "model-option");
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.id = `model-option-${this.options.length}`;
    option.dataset.provider = provider.slug;
    option.dataset.model = model.id;
    const head = el("span", "model-option-name", model.name);
    if (model.name !== model.id) head.append(" ", el("span", "muted small", model.id));
    const details = [...capabilityNames(model), priceText(model) || "no price known"];
    option.append(head, el("span", "model-option-details small", details.join(" · ")));
    this.options.push(option);
    return option;
  }

  setActive(index) {
    this.options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    this.active = index;
    if (index < 0) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    this.input.setAttribute("aria-activedescendant", this.options[index].id);
    this.options[index].scrollIntoView({ block: "nearest" });
  }

  key(event) {
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      event.preventDefault();
      if (this.list.hidden) this.open();
      const count = this.options.length;
      if (count) this.setActive((this.active + moves[event.key] + count) % count);
    } else if (event.key === "Enter") {
      event.preventDefault(); // not the settings form's submit
      if (this.active >= 0) this.pick(this.active);
    } else if (event.key === "Escape" && !this.list.hidden) {
      event.preventDefault(); // closes the list only: no stop, no drawer closing
      this.close();
    }
  }

  pick(index) {
    const option = this.options[index];
    if (!option) return;
    this.onPick(option.dataset.provider, option.dataset.model);
    this.input.value = "";
    this.close();
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }
}
