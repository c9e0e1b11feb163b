// Image mode: the composer's prompt becomes a request for images (POST /api/images/generations) with a size and a
// count. The "Image" toggle beside the attach button turns it on; the server stores the prompt and the reply with
// its images, and both come back to show in the thread (a failure comes back with them, the prompt kept).
import { el } from "./dom.js";

const SIZES = ["256x256", "512x512", "1024x1024", "1536x1024", "1024x1536"];
const DEFAULT_SIZE = "1024x1024";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function option(value, text = value) {
  const node = el("option", "", text);
  node.value = value;
  return node;
}

export class ImageMode {
  // toggle: the button; options: the container of the size and count controls; prompt: the message box.
  constructor({ toggle, options, prompt, onChange, onDone, onError, onAnnounce }) {
    Object.assign(this, { toggle, options, prompt, onChange, onDone, onError, onAnnounce });
    this.on = false;
    this.working = false;
    this.chatPlaceholder = prompt.placeholder;
    this.size = this.select("image-size", "Size", SIZES.map((size) => option(size, size.replace("x", " × "))));
    this.size.value = DEFAULT_SIZE;
    this.count = this.select("image-count", "Images", [1, 2, 3, 4].map((n) => option(String(n))));
    toggle.addEventListener("click", () => this.set(!this.on));
    this.options.hidden = true;
  }

  select(id, label, choices) {
    const wrap = el("span", "image-option");
    const text = el("label", "small", label);
    text.htmlFor = id;
    const select = el("select", "small");
    select.id = id;
    select.append(...choices);
    wrap.append(text, select);
    this.options.append(wrap);
    return select;
  }

  set(on) {
    this.on = on;
    this.toggle.setAttribute("aria-pressed", String(on));
    this.options.hidden = !on;
    this.prompt.placeholder = on ? "Describe the images to make (Enter to make them)" : this.chatPlaceholder;
    this.onChange();
  }

  blockReason(model, attached) {
    if (!this.on) return "";
    if (this.working) return "Making images…";
    if (attached) return "Image mode takes a prompt only: remove the attached images.";
    if (model && model.capabilities?.image_generation === false) {
      return `${model.name} does not make images: pick a model that does, or turn image mode off.`;
    }
    return "";
  }

  // Ask for images; `onDone(answer)` gets the stored messages (and the error, when the provider failed).
  async generate({ conversationId, parentId, provider, model, prompt, visibility }) {
    const n = Number(this.count.value);
    const body = { conversation_id: conversationId, parent_id: parentId, provider, model, prompt,
      size: this.size.value, n, ...visibility };
    this.working = true;
    this.onChange();
    this.onAnnounce(`Making ${n} image${n === 1 ? "" : "s"}…`);
    try {
      const response = await fetch("/api/images/generations", {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      });
      const answer = await response.json().catch(() => ({ error: response.statusText }));
      if (answer.messages) this.onDone(answer);
      if (!response.ok) this.onError(answer.error || response.statusText);
      else this.onAnnounce(`${answer.messages[1].images.length} of ${n} image${n === 1 ? "" : "s"} made.`);
      return Boolean(answer.messages);
    } catch (error) {
      this.onError(`The images were not made: ${error.message}`);
      return false;
    } finally {
      this.working = false;
      this.onChange();
    }
  }
}
