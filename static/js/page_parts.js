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

// The exact request of a reply (or of the next send) as curl and as Python with the openai SDK.
export class CodeDialog {
  constructor() {
    this.sample = null;
    document.querySelectorAll("#code-dialog [role=tab]").forEach((tab) => {
      tab.addEventListener("click", () => this.selectTab(tab.dataset.tab));
    });
    $("code-copy").addEventListener("click", (event) => {
      copyText($("code-text").textContent).then(() => flash(event.target));
    });
  }

  async show(conversationId, { messageId, content }) {
    const params = new URLSearchParams();
    if (messageId) params.set("message_id", messageId);
    else if (content) params.set("content", content);
    try {
      this.sample = await api("GET", `/api/conversations/${conversationId}/code?${params}`);
    } catch (error) {
      showAlert(error.message);
      return;
    }
    const { provider, model, env_var: envVar } = this.sample;
    $("code-note").textContent = `${provider} · ${model} · the key is read from $${envVar}`;
    this.selectTab("curl");
    $("code-dialog").showModal();
  }

  selectTab(name) {
    document.querySelectorAll("#code-dialog [role=tab]").forEach((tab) => {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    });
    $("code-text").textContent = this.sample[name];
    $("code-text").dataset.tab = name;
  }
}
