// Images attached in the composer: by the button, drag and drop, or paste. Each is uploaded at once
// (POST /api/images: checked and stripped on the server) and shows as a thumbnail with a remove button;
// Send carries their ids.
import { button, el } from "./dom.js";

const ACCEPTED = ["image/png", "image/jpeg", "image/webp", "image/gif"];

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function upload(file) {
  const form = new FormData();
  form.append("image", file, file.name || "pasted-image");
  const response = await fetch("/api/images", {
    method: "POST", body: form, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

export class Attachments {
  constructor({ list, attach, input, dropZone, pasteTarget, onChange, onError, onAnnounce }) {
    Object.assign(this, { list, input, pasteTarget, onChange, onError, onAnnounce });
    this.images = []; // {id, url, width, height}
    this.uploading = 0;
    attach.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      this.add([...input.files]);
      input.value = "";
    });
    dropZone.addEventListener("dragover", (event) => {
      if ([...event.dataTransfer.types].includes("Files")) event.preventDefault();
    });
    dropZone.addEventListener("drop", (event) => {
      if (!event.dataTransfer.files.length) return;
      event.preventDefault();
      this.add([...event.dataTransfer.files]);
    });
    pasteTarget.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
      if (!files.length) return;
      event.preventDefault();
      this.add(files);
    });
    this.render();
  }

  async add(files) {
    for (const file of files) {
      if (file.type && !ACCEPTED.includes(file.type)) {
        this.onError(`${file.name || "That file"} is not a PNG, JPEG, WebP or GIF image.`);
        continue;
      }
      this.uploading += 1;
      this.onChange();
      try {
        this.images.push(await upload(file));
        this.onAnnounce(`Image attached (${this.images.length} in all).`);
      } catch (error) {
        this.onError(`${file.name || "The image"} was not attached: ${error.message}`);
      } finally {
        this.uploading -= 1;
        this.render();
        this.onChange();
      }
    }
  }

  remove(index) {
    this.images.splice(index, 1);
    this.render();
    // Focus stays in place: on the next image's remove button, else the previous one, else the message box.
    const buttons = this.list.querySelectorAll(".remove-attachment");
    (buttons[index] || buttons[index - 1] || this.pasteTarget).focus();
    this.onChange();
    this.onAnnounce("Image removed.");
  }

  clear() {
    this.images = [];
    this.render();
    this.onChange();
  }

  ids() {
    return this.images.map((image) => image.id);
  }

  blockReason() {
    return this.uploading ? "Uploading images…" : "";
  }

  render() {
    this.list.replaceChildren(...this.images.map((image, index) => {
      const item = el("li", "attachment");
      const thumb = el("img");
      thumb.src = image.url;
      thumb.alt = `Attached image ${index + 1} (${image.width}×${image.height})`;
      const remove = button("×", "ghost small remove-attachment");
      remove.setAttribute("aria-label", `Remove attached image ${index + 1}`);
      remove.addEventListener("click", () => this.remove(index));
      item.append(thumb, remove);
      return item;
    }));
    this.list.hidden = this.images.length === 0;
  }
}

// A user message's images in the thread (from its stored summary).
export function imageStrip(message) {
  if (!message.images || !message.images.length) return null;
  const strip = el("div", "msg-images");
  message.images.forEach((image, index) => {
    const link = el("a");
    link.href = image.url;
    link.target = "_blank";
    link.rel = "noopener";
    const img = el("img");
    img.src = image.url;
    img.alt = `Image ${index + 1} of the message (${image.width}×${image.height})`;
    img.width = image.width;
    img.height = image.height;
    link.append(img);
    strip.append(link);
  });
  return strip;
}
