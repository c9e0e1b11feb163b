// The playground's side of prompts: "Save as prompt" (the branch on screen and the conversation's settings become a
// new prompt, or a new version of one the person may write: POST /api/prompts/from-conversation), and the draft a
// prompt opened in the playground leaves for the composer (static/js/prompt_use.js puts it in sessionStorage).
import { api } from "./api.js";
import { DRAFT_KEY } from "./prompt_use.js";

const $ = (id) => document.getElementById(id);

// A draft for the conversation in the URL goes into the message box (and its images onto the composer), once, when
// that conversation is on screen with its settings: a Send before that would go without them.
function takeDraft(conversation, composer, attachments) {
  const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
  const match = window.location.pathname.match(/^\/c\/(\d+)\/$/);
  if (!draft || !match || Number(match[1]) !== draft.conversation) return;
  sessionStorage.removeItem(DRAFT_KEY);
  const fill = () => {
    if (conversation()?.id !== draft.conversation) return false;
    composer.value = draft.content || "";
    if (draft.images?.length) {
      attachments.images.push(...draft.images);
      attachments.render();
      attachments.onChange();
    }
    composer.focus();
    return true;
  };
  if (fill()) return;
  // The playground writes the title as it shows a conversation; observers hear of it once that whole step is done.
  const watcher = new MutationObserver(() => { if (fill()) watcher.disconnect(); });
  watcher.observe($("conversation-title"), { childList: true, characterData: true, subtree: true });
}

async function fillPrompts(select) {
  const mine = await api("GET", "/api/prompts?scope=mine");
  const team = await api("GET", "/api/prompts?scope=team");
  const writable = [...mine.prompts, ...team.prompts.filter((p) => p.can_write)];
  select.replaceChildren(...writable.map((p) => new Option(`${p.name} (v${p.latest}, ${p.owner})`, String(p.id))));
  return writable.length;
}

export function installPromptTools({ conversation, leafId, composer, attachments }) {
  takeDraft(conversation, composer, attachments);
  const dialog = $("save-prompt-dialog");
  const name = $("save-prompt-name");
  const existing = $("save-prompt-existing");
  const error = $("save-prompt-error");
  const target = () => dialog.querySelector("input[name=save-prompt-target]:checked").value;
  const choose = () => {
    const asVersion = target() === "version";
    name.hidden = name.labels[0].hidden = asVersion;
    existing.hidden = existing.labels[0].hidden = !asVersion;
  };
  dialog.querySelectorAll("input[name=save-prompt-target]").forEach((radio) => radio.addEventListener("change", choose));
  $("save-as-prompt").addEventListener("click", async () => {
    error.textContent = "";
    name.value = conversation()?.title || "";
    choose();
    dialog.showModal();
    try {
      if (!(await fillPrompts(existing))) existing.replaceChildren(new Option("(no prompt you may add versions to)", ""));
    } catch (problem) {
      error.textContent = problem.message;
    }
  });
  $("save-prompt-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { conversation_id: conversation()?.id, leaf_id: leafId(), note: $("save-prompt-note").value };
    if (target() === "version") body.prompt_id = Number(existing.value) || null;
    else body.name = name.value;
    if (target() === "version" && !body.prompt_id) {
      error.textContent = "Pick a prompt to add the version to.";
      return;
    }
    try {
      const saved = await api("POST", "/api/prompts/from-conversation", body);
      window.location.assign(saved.prompt.url);
    } catch (problem) {
      error.textContent = problem.message;
    }
  });
}
