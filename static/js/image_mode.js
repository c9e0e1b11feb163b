// Image mode: the composer's prompt becomes a request for images (POST /api/images/generations) with a size and a
// count (#image-size, #image-count: shown in this mode only). It registers itself in the mode switch like any mode;
// it does not go over the socket: the server stores the prompt and the reply with its images, and both come back to
// show in the thread (a failure comes back with them, the prompt kept).
import { registerMode } from "./modes.js";

let working = false;

const count = () => Number(document.getElementById("image-count").value) || 1;
const plural = (n) => `${n} image${n === 1 ? "" : "s"}`;

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

registerMode("image", {
  label: "Image", composerLabel: "Image prompt",
  placeholder: "Describe the images to make (Enter to make them)",
  sendLabel: () => (count() === 1 ? "Make image" : `Make ${count()} images`),
  blockReason({ model, attached }) {
    if (working) return "Making images…";
    if (attached) return "Image mode takes a prompt only: remove the attached images.";
    if (model && model.capabilities?.image_generation === false) {
      return `${model.name} does not make images: pick a model that does, or switch to Chat.`;
    }
    return "";
  },
  submit: generate,
});

// Ask for images: request is {conversationId, parentId, provider, model, prompt, visibility}; hooks are
// {onChange, onDone, onError, onAnnounce}; onDone(answer) gets the stored messages (the error too, when the provider
// failed), before the error is said.
async function generate({ conversationId, parentId, provider, model, prompt, visibility }, hooks) {
  const { onChange, onDone, onError, onAnnounce } = hooks;
  const n = count();
  const body = { conversation_id: conversationId, parent_id: parentId, provider, model, prompt,
    size: document.getElementById("image-size").value, n, ...visibility };
  working = true;
  onChange();
  onAnnounce(`Making ${plural(n)}…`);
  try {
    const response = await fetch("/api/images/generations", {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    });
    const answer = await response.json().catch(() => ({ error: response.statusText }));
    if (answer.messages) onDone(answer);
    if (!response.ok) onError(answer.error || response.statusText);
    else onAnnounce(`${answer.messages[1].images.length} of ${plural(n)} made.`);
  } catch (error) {
    onError(`The images were not made: ${error.message}`);
  } finally {
    working = false;
    onChange();
  }
}
