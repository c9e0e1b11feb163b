// The playground page: builds its parts and wires them together. The conversation on screen is
// conversation_view.js; what this tab asks of the server is sending.js (and pending_requests.js, what it is
// waiting on).
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

// Frames ---------------------------------------------------------------------------------

function mine(frame) {
  return pending.mine(frame);
}

function here(frame) {
  return frame.conversation_id === undefined || frame.conversation_id === view.id;
}

socket.on("conversation.created", (frame) => {
  const waiting = mine(frame);
  if (!waiting) return;
  waiting.conversationId = frame.conversation.id;
  view.adopt(frame.conversation);
  sidebar.refreshSoon();
});

socket.on("message.created", (frame) => {
  const waiting = mine(frame);
  if (waiting) {
    waiting.conversationId = frame.conversation_id;
    if (waiting.kind === "send" && frame.message.role === "user" && prompt.value === waiting.content) prompt.value = "";
    if (waiting.kind === "send" && frame.message.role === "user" && waiting.images?.length) attachments.clear();
  }
  if (here(frame)) thread.upsert(frame.message);
  sidebar.refreshSoon();
});

socket.on("stream.start", (frame) => {
  if (compare.owns(frame) && !pending.has(frame.request_id)) {
    // A compared reply: each column is a request of its own (`<request_id>:N`), stoppable alone.
    pending.delete(frame.request_id.replace(/:\d+$/, ""));
    pending.set(frame.request_id, { kind: "compare" });
  }
  const waiting = mine(frame);
  if (waiting) {
    waiting.streamId = frame.message_id;
    waiting.conversationId = frame.conversation_id;
  }
  if (here(frame) && !compare.start(frame)) thread.startStream(frame);
  if (here(frame)) announce(`${frame.model || "The assistant"} is replying.`);
  updateButtons();
});

socket.on("stream.delta", (frame) => thread.delta(frame));
socket.on("stream.reasoning", (frame) => thread.reasoning(frame));
socket.on("stream.tool_call", (frame) => thread.toolCallDelta(frame));

socket.on("stream.end", (frame) => {
  if (here(frame)) {
    thread.endStream(frame);
    if (frame.content_omitted) fetchLongReply(frame);
    else announceEnd(thread.messages.get(frame.message_id) || frame);
  }
  const waiting = mine(frame);
  if (waiting && frame.status !== "error") pending.delete(frame.request_id);
  updateButtons();
  toolResults.ended(frame, Boolean(waiting) && here(frame)); // auto-reply with mocks
  sidebar.refreshSoon();
});

// A reply too long to repeat in stream.end: its stored text and sanitized html come over HTTP.
async function fetchLongReply(frame) {
  const detail = await api("GET", `/api/conversations/${frame.conversation_id}`);
  const stored = detail.messages.find((m) => m.id === frame.message_id);
  if (stored && here(frame)) {
    thread.upsert(stored, { follow: false });
    announceEnd(stored);
  }
}

// Screen readers hear a reply once, when it is final (the thread itself is aria-live="off": no token by token).
function announceEnd(message) {
  const who = message.model || "The assistant";
  if (message.status === "complete") announce(`${who} replied: ${(message.content || "").slice(0, 600)}`);
  else if (message.status === "cancelled") announce(`${who}'s reply was stopped.`);
  else announce(`${who}'s reply failed.`);
}

socket.on("conversation.state", (frame) => {
  if (!here(frame)) return;
  const streaming = frame.streaming || [];
  if (view.canWrite) {
    // Our own replies started elsewhere (another tab, or before a reconnect) can be stopped from here.
    for (const entry of streaming) {
      if (entry.request_id && !pending.has(entry.request_id)) {
        pending.set(entry.request_id, { kind: "watch", streamId: entry.message_id, conversationId: view.id });
      }
    }
    updateButtons();
  }
  const unknown = streaming.some((s) => !thread.messages.has(s.message_id));
  if (!unknown) return thread.resume(streaming);
  // A reply began between loading the conversation and watching it: load again.
  return api("GET", `/api/conversations/${view.id}`).then((detail) => {
    thread.load(detail);
    thread.resume(streaming);
  });
});

// The conversation was deleted (by its owner, maybe in another tab): what of it was waiting is dropped, and the
// page moves to a new conversation with a notice saying why.
socket.on("conversation.deleted", (frame) => {
  pending.dropConversation(frame.conversation_id);
  sidebar.refreshSoon();
  if (frame.conversation_id !== view.id || frame.conversation_id === view.deleting) return;
  const who = view.canWrite ? "This conversation was deleted (in another tab or window)"
    : `${view.conversation.owner} deleted this conversation`;
  view.conversation = null; // nothing to unwatch: it is gone
  view.startNew();
  showAlert(`${who}. You are in a new conversation now.`);
});

socket.on("error", (frame) => {
  if (!frame.request_id) frame = { ...frame, request_id: pending.unanswered() };
  const waiting = mine(frame);
  // Another person's reply failed: its message shows that (stream.end); no banner for a watcher.
  if (frame.request_id && !waiting) return;
  pending.delete(frame.request_id);
  updateButtons();
  const error = { code: frame.code, message: frame.message };
  if (waiting && waiting.streamId !== undefined) {
    thread.setError(waiting.streamId, error);
    return;
  }
  const retry = waiting && waiting.kind === "send" ? () => sender.send(waiting.content, waiting.parentId, { root: waiting.root }) : null;
  const again = waiting && waiting.kind === "regenerate" ? () => sender.regenerate(thread.messages.get(waiting.messageId)) : retry;
  showAlert(frame.message || frame.code, again);
});

let connectedBefore = false;
socket.onopen = () => {
  if (connectedBefore && view.id !== null) {
    // Frames were missed while offline: load the stored state again, then watch (conversation.state resumes).
    pending.clear();
    view.open(view.id, { push: false });
  } else {
    view.watch();
  }
  connectedBefore = true;
};
socket.onstate = (value) => {
  const node = $("connection");
  node.dataset.state = value;
  node.textContent = { online: "connected", offline: "reconnecting…", connecting: "connecting…" }[value];
  if (value === "offline") {
    // Replies in flight are resumed by the re-watch; nothing of ours is waiting on this socket any more.
    pending.dropUnstarted();
    updateButtons();
  }
};

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
