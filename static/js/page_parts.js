// Parts of the playground page with no state of their own: the alert bar and the "View code" dialog.
import { api, copyText, flash } from "./api.js";
import { button, el } from "./dom.js";

const $ = (id) => document.getElementById(id);

// One alert at a time, with Retry when there is something to retry, and Dismiss.
export function showAlert(text, retry) {
  const box = el("div", "alert");
  box.setAttribute("role", "alert");
  box.append(el("span", "", text));
  if (retry) {
    const again = button("Retry", "small");
    again.addEventListener("click", () => { box.remove(); retry(); });
    box.append(again);
  }
  const close = button("Dismiss");
  close.addEventListener("click", () => box.remove());
  box.append(close);
  $("alerts").replaceChildren(box);
}

// A polite message for screen readers (#announcer, aria-live="polite"): replaced, not appended.
export function announce(text) {
  const node = $("announcer");
  node.textContent = "";
  requestAnimationFrame(() => { node.textContent = text; });
}

// The exact request of a reply (or of the next send) as curl, Python (the API's SDK and raw httpx) and JavaScript,
// each with its own Copy; tabs as the ARIA tabs pattern (arrow keys move between them).
export class CodeDialog {
  constructor() {
    this.tabs = [...document.querySelectorAll("#code-dialog [role=tab]")];
    this.tabs.forEach((tab) => {
      tab.addEventListener("click", () => this.selectTab(tab.dataset.tab));
      tab.addEventListener("keydown", (event) => this.arrow(event, tab));
    });
    document.querySelectorAll("#code-dialog .code-copy").forEach((copy) => {
      copy.addEventListener("click", () => {
        const text = $(`code-panel-${copy.dataset.copy}`).querySelector("pre").textContent;
        copyText(text).then((ok) => flash(copy, ok ? "Copied" : "Copy refused"));
      });
    });
  }

  // load: an async function answering the sample (GET .../code of a reply, or POST /api/code).
  async show(load) {
    let sample;
    try {
      sample = await load();
    } catch (error) {
      showAlert(error.message);
      return;
    }
    const { provider, model, env_var: envVar, fallback } = sample;
    $("code-note").textContent = `${provider} · ${model} · the key is read from the environment variable $${envVar}`;
    $("code-fallback").textContent = fallback ? `Adapted for this model: ${fallback}` : "";
    $("code-fallback").hidden = !fallback;
    this.tabs.forEach((tab) => {
      $(`code-panel-${tab.dataset.tab}`).querySelector("pre").textContent = sample[tab.dataset.tab] || "";
    });
    this.selectTab("curl");
    $("code-dialog").showModal();
  }

  selectTab(name, { focus = false } = {}) {
    this.tabs.forEach((tab) => {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      $(`code-panel-${tab.dataset.tab}`).hidden = !on;
      if (on && focus) tab.focus();
    });
  }

  arrow(event, tab) {
    const steps = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in steps)) return;
    event.preventDefault();
    const at = this.tabs.indexOf(tab);
    const step = steps[event.key];
    const next = Number.isFinite(step) ? (at + step + this.tabs.length) % this.tabs.length : (step < 0 ? 0 : this.tabs.length - 1);
    this.selectTab(this.tabs[next].dataset.tab, { focus: true });
  }
}
