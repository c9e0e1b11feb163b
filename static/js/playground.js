// The playground page: builds its parts and wires them together. The conversation on screen is
// conversation_view.js; what this tab asks of the server is sending.js (and pending_requests.js, what it is
// waiting on); what the socket says back is chat_frames.js.
import { api, copyText } from "./api.js";
import { Thread } from "./messages.js";
import { SettingsPanel } from "./settings.js";
import { Sidebar } from "./sidebar.js";
import { SidebarActions } from "./sidebar_actions.js";
import { ChatSocket } from "./socket.js";
import { ToolResults } from "./toolcalls.js";
import { ToolEditor } from "./tools.js";
import { McpServers } from "./mcp.js";
import { ComparePicker, CompareView } from "./compare.js";
import { ResponseFormat } from "./structured.js";
import { CodeDialog, announce, showAlert } from "./page_parts.js";
import { Layout } from "./layout.js";
import { bindShortcuts } from "./shortcuts.js";
import { ModelPicker } from "./model_picker.js";
import { VisibilityChoice } from "./visibility.js";
import { Attachments } from "./attachments.js";
import { installPromptTools } from "./save_as_prompt.js";
import { ModeSwitch } from "./modes.js";
import { RequestSettings } from "./request_settings.js";
import { PendingRequests } from "./pending_requests.js";
import { ConversationView } from "./conversation_view.js";
import { Sender } from "./sending.js";
import { ChatFrames } from "./chat_frames.js";
import "./completion.js"; // registers the Completion mode
import "./image_mode.js"; // registers the Image mode

const $ = (id) => document.getElementById(id);
const data = (id) => JSON.parse($(id).textContent);

const prompt = $("prompt");
const layout = new Layout();
const settings = new SettingsPanel($("settings-form"), data("providers-data"));
const modelPicker = new ModelPicker($("model-search"), $("model-results"), data("providers-data"), {
  onPick: (slug, modelId) => {
    settings.choose(slug, modelId);
    announce(`${modelId} picked.`);
  },
});
const sidebar = new Sidebar({
  onOpen: (id) => {
    layout.picked("sidebar");
    view.open(id);
  },
  me: data("me-data").username,
});
new SidebarActions(sidebar, {
  onOpen: (id) => view.open(id),
  onDeleted: (ids) => { if (ids.includes(view.id)) view.startNew(); },
});
const thread = new Thread($("messages"), { onAction: messageAction });
const scheme = window.location.protocol === "https:" ? "wss" : "ws";
const codeDialog = new CodeDialog();
const socket = new ChatSocket(`${scheme}://${window.location.host}/ws/chat/`);
const tools = new ToolEditor($("tools-panel"), { me: data("me-data"), onChange: () => updateButtons() });
const mcp = new McpServers($("mcp-panel"), { onChange: () => updateButtons() });
const toolResults = new ToolResults({
  thread, editor: tools, mcp, onSubmit: (results, context) => sender.sendToolResults(results, context),
  canSubmit: () => !sender.busy() && !sender.blockReason(),
});
thread.onRender = () => { toolResults.update(); view.rememberLeaf(); };
const format = new ResponseFormat($("response-format-panel"), { me: data("me-data"), onChange: () => updateButtons() });
const comparePicker = new ComparePicker($("compare-panel"), data("providers-data"), { onChange: () => updateButtons() });
const visibility = new VisibilityChoice($("new-visibility"), $("default-visibility"), { onError: (text) => showAlert(text) });
const attachments = new Attachments({
  list: $("attachments"), attach: $("attach"), input: $("attach-input"), dropZone: $("composer"), pasteTarget: prompt,
  onChange: () => updateButtons(), onError: (text) => showAlert(text), onAnnounce: (text) => announce(text),
});
const modeSwitch = new ModeSwitch($("mode-switch"), { composer: prompt, onChange: () => updateButtons() });
const compare = new CompareView(thread, {
  onCancel: (requestId) => socket.send({ type: "chat.cancel", request_id: requestId, conversation_id: view.id }),
  onChange: () => updateButtons(),
});
const panels = new RequestSettings({ settings, format, tools, mcp, modeSwitch });
const pending = new PendingRequests();
const view = new ConversationView({
  socket, thread, sidebar, layout, compare, panels, visibility, composer: prompt, onChange: () => updateButtons(),
});
const sender = new Sender({
  socket, pending, view, thread, sidebar, compare, panels, comparePicker, attachments, visibility, toolResults, composer: prompt,
});
new ChatFrames(socket, { pending, view, sender, thread, compare, sidebar, toolResults, attachments, composer: prompt });

function updateButtons() {
  sender.updateButtons();
}

function messageAction(action, { message, content }) {
  if (action === "regenerate" || action === "retry") return sender.regenerate(message);
  if (action === "edit") {
    if (message.mode) modeSwitch.set(message.mode); // an edited prompt stays a prompt, a message a message
    const images = (message.images || []).map((image) => image.id); // an edited message keeps its images
    return sender.send(content, message.parent_id ?? null, { root: message.parent_id == null, images });
  }
  if (action === "code") return showCode(message.id);
  return undefined; // "leaf": switching branches is a view; every send names its parent
}

// Conversation actions ---------------------------------------------------------------------

async function patch(changes) {
  try {
    const detail = await api("PATCH", `/api/conversations/${view.id}`, changes);
    view.changed(detail.conversation);
    sidebar.refreshSoon();
  } catch (error) {
    showAlert(error.message);
  }
}

function startRename() {
  $("rename-input").value = view.conversation.title;
  $("rename-form").hidden = false;
  $("conversation-title").hidden = true;
  $("rename-input").focus();
}

function endRename() {
  $("rename-form").hidden = true;
  $("conversation-title").hidden = false;
}

async function fork() {
  try {
    const detail = await api("POST", `/api/conversations/${view.id}/fork`, { message_id: thread.leafId });
    await view.open(detail.conversation.id);
    sidebar.refreshSoon();
  } catch (error) {
    showAlert(error.message);
  }
}

// A reply's own request, or (no messageId) the one Send would make now: the settings panel as it is, and the composer.
function showCode(messageId) {
  if (messageId) return codeDialog.show(() => api("GET", `/api/conversations/${view.id}/code?message_id=${messageId}`));
  const request = { conversation_id: view.id, content: prompt.value, ...panels.frame() };
  return codeDialog.show(() => api("POST", "/api/code", request));
}

// Keyboard shortcuts (static/js/shortcuts.js) ------------------------------------------------

function lastReply() {
  return thread.path().reverse().find((m) => m.role === "assistant" && m.status !== "streaming");
}

function focusComposer() {
  layout.closeOverlays();
  if ($("composer").hidden) $("fork-readonly").focus();
  else prompt.focus();
}

function regenerateLast() {
  const message = lastReply();
  if (!message || !view.canWrite) return announce("There is no reply here to regenerate.");
  if (sender.busy()) return announce("Wait for the reply to finish, or stop it first.");
  return sender.regenerate(message);
}

async function copyLast() {
  const message = lastReply();
  if (!message) return announce("There is no reply here to copy.");
  return announce(await copyText(message.content) ? "Copied the last reply." : "The browser did not allow copying.");
}

// Providers and models change while the page is open (an admin adds one): asked again when the page is back in
// view; every picker keeps its current choice.
async function refreshProviders() {
  let answer;
  try {
    answer = await api("GET", "/api/providers");
  } catch (_) {
    return; // offline for a moment: the pickers keep what they have
  }
  settings.update(answer.providers);
  modelPicker.setProviders(answer.providers);
  comparePicker.providers = answer.providers;
}

function bind() {
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); sender.submit(); });
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sender.submit();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || document.querySelector("dialog[open]")) return;
    if (!layout.closeOverlays()) sender.stop();
  });
  $("shortcuts-button").addEventListener("click", () => $("shortcuts-dialog").showModal());
  bindShortcuts({
    new: () => view.startNew(),
    composer: () => focusComposer(),
    sidebar: () => layout.toggle("sidebar"),
    settings: () => layout.toggle("settings"),
    regenerate: () => regenerateLast(),
    copy: () => copyLast(),
    help: () => $("shortcuts-dialog").showModal(),
  });
  $("stop").addEventListener("click", () => sender.stop());
  $("new-conversation").addEventListener("click", () => view.startNew());
  $("rename").addEventListener("click", startRename);
  $("rename-cancel").addEventListener("click", endRename);
  $("rename-form").addEventListener("submit", (event) => {
    event.preventDefault();
    patch({ title: $("rename-input").value });
    endRename();
  });
  $("visibility").addEventListener("change", () => patch({ visibility: $("visibility").value }));
  $("fork").addEventListener("click", fork);
  $("fork-readonly").addEventListener("click", fork);
  $("fork-settings").addEventListener("click", fork);
  $("view-code").addEventListener("click", () => showCode(null));
  $("delete").addEventListener("click", () => $("delete-dialog").showModal());
  $("delete-confirm").addEventListener("click", async () => {
    $("delete-dialog").close();
    view.deleting = view.id; // its conversation.deleted is no news to this tab
    try {
      await api("DELETE", `/api/conversations/${view.id}`);
    } catch (error) {
      showAlert(error.message);
      return;
    }
    view.startNew();
    sidebar.refresh();
  });
  document.querySelectorAll("dialog [data-close]").forEach((node) => {
    node.addEventListener("click", () => node.closest("dialog").close());
  });
  window.addEventListener("popstate", (event) => {
    const id = event.state && event.state.id;
    if (id) view.open(id, { push: false });
    else view.startNew({ push: false });
  });
  window.addEventListener("focus", () => sidebar.refreshSoon());
  window.addEventListener("focus", refreshProviders);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refreshProviders(); });
  setInterval(() => sidebar.refresh(), 20000);
}

bind();
installPromptTools({ conversation: () => view.conversation, leafId: () => thread.leafId, composer: prompt, attachments });
sidebar.refresh();
visibility.load();
const initial = data("initial-conversation");
if (initial) view.open(initial, { push: false });
else view.show(null);
window.playground = { socket, thread }; // for debugging from the console, and for the browser tests
