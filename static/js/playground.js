// The playground page: builds its parts and wires them together. The conversation on screen is
// conversation_view.js, what is done to it conversation_actions.js; what this tab asks of the server is
// sending.js (and pending_requests.js, what it is waiting on); what the socket says back is chat_frames.js.
import { api } from "./api.js";
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
import { ConversationActions } from "./conversation_actions.js";
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
const actions = new ConversationActions({ view, thread, sidebar, layout, sender, panels, codeDialog, composer: prompt });
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
  if (action === "code") return actions.showCode(message.id);
  return undefined; // "leaf": switching branches is a view; every send names its parent
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
    composer: () => actions.focusComposer(),
    sidebar: () => layout.toggle("sidebar"),
    settings: () => layout.toggle("settings"),
    regenerate: () => actions.regenerateLast(),
    copy: () => actions.copyLast(),
    help: () => $("shortcuts-dialog").showModal(),
  });
  $("stop").addEventListener("click", () => sender.stop());
  $("new-conversation").addEventListener("click", () => view.startNew());
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
