// A "Review" control on each chat reply and user message: rate the reply (static/js/rating.js) and add
// the message to a dataset, with the user message that prompted it as the input and the reply as expected.
import { api } from "./api.js";
import { button, el } from "./dom.js";
import { note, openReview, reviewDialog } from "./rating.js";

let section = null;

function buildSection(parts) {
  const box = el("fieldset", "dataset-part");
  box.append(el("legend", "", "Add to a dataset"));
  const pickLabel = el("label", "", "Dataset");
  pickLabel.htmlFor = "review-dataset";
  const pick = el("select");
  pick.id = "review-dataset";
  const nameLabel = el("label", "", "New dataset's name");
  nameLabel.htmlFor = "review-new-dataset";
  const name = el("input");
  name.id = "review-new-dataset";
  name.maxLength = 200;
  const tagsLabel = el("label", "", "Tags (comma-separated)");
  tagsLabel.htmlFor = "review-tags";
  const tags = el("input");
  tags.id = "review-tags";
  const add = button("Add to dataset", "primary small");
  const actions = el("div", "form-actions");
  actions.append(add);
  const status = el("p", "review-note");
  status.setAttribute("role", "status");
  const link = el("a", "", "");
  link.hidden = true;
  box.append(pickLabel, pick, nameLabel, name, tagsLabel, tags, actions, status, link);
  parts.node.append(box);
  const newOnly = () => { nameLabel.hidden = name.hidden = pick.value !== "new"; };
  pick.addEventListener("change", newOnly);
  add.addEventListener("click", async () => {
    const body = pick.value === "new" ? { new_dataset: name.value } : { dataset: Number(pick.value) };
    body.tags = tags.value;
    try {
      const done = await api("POST", `/api/messages/${section.messageId}/dataset-row`, body);
      note(status, `Added to ${done.dataset.name} (version ${done.dataset.version}).`);
      link.textContent = `Open ${done.dataset.name}`;
      link.href = `/datasets/${done.dataset.id}/`;
      link.hidden = false;
      await load();
      pick.value = String(done.dataset.id);
      newOnly();
    } catch (problem) {
      note(status, problem.message, "bad");
    }
  });
  async function load() {
    let items = [];
    try {
      items = (await api("GET", "/api/datasets")).items.filter((d) => d.can_write);
    } catch (problem) {
      note(status, problem.message, "bad");
    }
    const options = items.map((d) => {
      const option = el("option", "", `${d.name} (${d.rows} rows)`);
      option.value = String(d.id);
      return option;
    });
    const fresh = el("option", "", "New dataset…");
    fresh.value = "new";
    pick.replaceChildren(...options, fresh);
    newOnly();
  }
  return { box, pick, name, tags, status, link, load, newOnly, messageId: null };
}

async function open(message) {
  const reply = message.role === "assistant";
  const parts = reviewDialog();
  if (!section) section = buildSection(parts);
  section.messageId = message.id;
  note(section.status, "");
  section.link.hidden = true;
  section.tags.value = "";
  section.load();
  await openReview({ kind: "message", id: message.id, rate: reply,
    title: reply ? "Review this reply" : "Add this message to a dataset" });
  if (!reply) section.pick.focus();
}

// Called by static/js/messages.js for each message's action bar.
export function reviewControls(bar, message) {
  if (!["assistant", "user"].includes(message.role) || typeof message.id !== "number") return;
  if (message.status === "streaming") return;
  const label = message.role === "assistant" ? "Review" : "Add to dataset";
  const node = button(label, "ghost small");
  node.classList.add("review-button");
  // The visible text starts the accessible name (speech input users say what they see).
  node.setAttribute("aria-label", message.role === "assistant" ? "Review this reply: rate it or add it to a dataset"
    : "Add to dataset: this message");
  node.addEventListener("click", () => open(message));
  bar.append(node);
}
