// The playground page: wires the socket, the sidebar, the thread and the settings.
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
import { oversize } from "./frame_size.js";
import { installPromptTools } from "./save_as_prompt.js";
import { ModeSwitch, modeOf } from "./modes.js";
import "./completion.js"; // registers the Completion mode
import "./image_mode.js"; // registers the Image mode

const $ = (id) => document.getElementById(id);
const data = (id) => JSON.parse($(id).textContent);

const state = {
  conversation: null, // {id, title, visibility, owner, ...} or null for a new one
  canWrite: true,
  pending: new Map(), // request_id -> {content, parentId, messageId, kind}
  deleting: null, // the id of the conversation this tab is deleting
};
let counter = 0;
const newRequestId = () => `r${Date.now().toString(36)}-${++counter}`;

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
    openConversation(id);
  },
  me: data("me-data").username,
});
new SidebarActions(sidebar, {
  onOpen: (id) => openConversation(id),
  onDeleted: (ids) => { if (ids.includes(currentId())) newConversation(); },
});
const thread = new Thread($("messages"), { onAction: messageAction });
const scheme = window.location.protocol === "https:" ? "wss" : "ws";
const codeDialog = new CodeDialog();
const socket = new ChatSocket(`${scheme}://${window.location.host}/ws/chat/`);
const tools = new ToolEditor($("tools-panel"), { me: data("me-data"), onChange: () => updateButtons() });
const mcp = new McpServers($("mcp-panel"), { onChange: () => updateButtons() });
const toolResults = new ToolResults({ thread, editor: tools, mcp, onSubmit: sendToolResults, canSubmit: () => !busy() && !blockReason() });
thread.onRender = () => { toolResults.update(); rememberLeaf(); };
const format = new ResponseFormat($("response-format-panel"), { me: data("me-data"), onChange: () => updateButtons() });
const comparePicker = new ComparePicker($("compare-panel"), data("providers-data"), { onChange: () => updateButtons() });
const visibility = new VisibilityChoice($("new-visibility"), $("default-visibility"), { onError: (text) => showAlert(text) });
const attachments = new Attachments({
  list: $("attachments"), attach: $("attach"), input: $("attach-input"), dropZone: $("composer"), pasteTarget: prompt,
  onChange: () => updateButtons(), onError: (text) => showAlert(text), onAnnounce: (text) => announce(text),
});
const modeSwitch = new ModeSwitch($("mode-switch"), { composer: prompt, onChange: () => updateButtons() });
const compare = new CompareView(thread, {
  onCancel: (requestId) => socket.send({ type: "chat.cancel", request_id: requestId, conversation_id: currentId() }),
  onChange: () => updateButtons(),
});

// Conversations ----------------------------------------------------------------------

function currentId() {
  return state.conversation ? state.conversation.id : null;
}

function watch() {
  if (currentId() !== null) socket.send({ type: "conversation.watch", conversation_id: currentId() }, { queue: false });
}

function showConversation(detail) {
  state.conversation = detail ? detail.conversation : null;
  state.canWrite = detail ? detail.can_write : true;
  const conversation = state.conversation;
  $("conversation-title").textContent = conversation ? conversation.title || "Untitled" : "New conversation";
  $("conversation-owner").textContent = conversation && !state.canWrite ? `by ${conversation.owner}` : "";
  $("conversation-actions").hidden = !conversation;
  document.querySelectorAll(".owner-only").forEach((node) => { node.hidden = !state.canWrite; });
  if (conversation) {
    $("visibility").value = conversation.visibility;
    $("export-json").href = `/api/conversations/${conversation.id}/export.json`;
    $("export-md").href = `/api/conversations/${conversation.id}/export.md`;
    if (detail.conversation.settings) settings.apply(detail.conversation.settings);
    if (detail.conversation.settings) tools.apply(detail.conversation.settings);
    if (detail.conversation.settings) mcp.apply(detail.conversation.settings);
    if (detail.conversation.settings) format.apply(detail.conversation.settings.response_format);
    if (detail.conversation.settings) modeSwitch.apply(detail.conversation.settings);
  }
  $("composer").hidden = !state.canWrite;
  $("readonly").hidden = state.canWrite;
  $("readonly-owner").textContent = conversation ? conversation.owner : "";
  lockSettings(conversation);
  visibility.showFor(conversation);
  $("alerts").replaceChildren();
  sidebar.setActive(currentId());
  updateButtons();
}

// Someone else's conversation is read-only: its settings show what was used, and cannot be changed here.
function lockSettings(conversation) {
  $("settings-fieldset").disabled = !state.canWrite;
  $("tools-panel").inert = !state.canWrite;
  $("mcp-panel").inert = !state.canWrite;
  $("settings-readonly").hidden = state.canWrite;
  $("settings-readonly-owner").textContent = conversation ? conversation.owner : "";
}

async function openConversation(id, { push = true } = {}) {
  const previous = currentId();
  let detail;
  try {
    detail = await api("GET", `/api/conversations/${id}`);
  } catch (error) {
    showAlert(error.status === 404 ? "That conversation does not exist or is private." : error.message);
    return;
  }
  if (previous !== null && previous !== id) socket.send({ type: "conversation.unwatch", conversation_id: previous }, { queue: false });
  showConversation(detail);
  if (push) history.pushState({ id }, "", `/c/${id}/`);
  const leaf = push ? null : leafInUrl(detail);
  thread.load(leaf ? { ...detail, current_leaf_id: leaf } : detail);
  modeSwitch.follow(thread.path());
  compare.restore({ chosen: Boolean(leaf) });
  watch();
  updateButtons();
}

// The branch on screen is in the URL (?leaf=ID): a reload, or the link shared, shows that branch again.
function leafInUrl(detail) {
  const leaf = Number(new URLSearchParams(window.location.search).get("leaf"));
  return detail.messages.some((m) => m.id === leaf) ? leaf : null;
}

function rememberLeaf() {
  const id = currentId();
  if (id === null || !window.location.pathname.startsWith(`/c/${id}/`)) return;
  const url = thread.leafId === null ? `/c/${id}/` : `/c/${id}/?leaf=${thread.leafId}`;
  if (window.location.pathname + window.location.search !== url) history.replaceState(history.state, "", url);
}

function newConversation({ push = true } = {}) {
  if (currentId() !== null) socket.send({ type: "conversation.unwatch", conversation_id: currentId() }, { queue: false });
  layout.picked("sidebar");
  showConversation(null);
  thread.clear();
  if (push) history.pushState({ id: null }, "", "/");
  prompt.focus();
}

// Sending ------------------------------------------------------------------------------

// What leaves for the server is checked against its frame limit first (PLAYGROUND_MAX_FRAME_BYTES, on the page):
// too large, it stays in the composer with the sizes in plain words, and nothing waits for an answer.
function post(frame, pending) {
  const problem = oversize(frame, Number($("app").dataset.maxFrameBytes) || 0); // the server's limit, on the page
  if (problem) {
    showAlert(problem);
    return false;
  }
  state.pending.set(frame.request_id, { ...pending, sent: true });
  socket.send(frame);
  $("alerts").replaceChildren();
  updateButtons();
  return true;
}

function send(content, parentId, { root = false, images = [] } = {}) {
  const values = modeSwitch.frame({ ...settings.values(), ...format.values(), ...tools.values(), ...mcp.values(), ...comparePicker.values() });
  if (!values.provider || !values.model) {
    showAlert("Pick a provider and a model in the settings first.");
    return false;
  }
  if (blockReason()) {
    showAlert(blockReason());
    return false;
  }
  const requestId = newRequestId();
  const frame = {
    type: "chat.send", request_id: requestId, conversation_id: currentId(), parent_id: parentId, content, ...values,
    ...visibility.values(currentId() === null),
  };
  if (root) frame.root = true; // an edit of the first message: a new root, not an append
  if (images.length) frame.images = images;
  if (!post(frame, { kind: "send", content, parentId, root, images })) return false;
  if (values.compare) compare.begin(requestId, values.compare);
  return true;
}

function submit() {
  const content = prompt.value;
  const images = attachments.ids();
  if ((!content.trim() && !images.length) || !state.canWrite || busy()) return;
  if (modeSwitch.mode.submit) submitOver(content);
  else send(content, currentId() === null ? null : thread.leafId, { images });
}

// A mode that stores over HTTP (Image, static/js/image_mode.js): the stored prompt and reply come back.
function submitOver(content) {
  const values = settings.values();
  if (!values.provider || !values.model) return showAlert("Pick a provider and a model in the settings first.");
  if (blockReason()) return showAlert(blockReason());
  const startedIn = currentId();
  return modeSwitch.mode.submit({
    conversationId: startedIn, parentId: startedIn === null ? null : thread.leafId, provider: values.provider,
    model: values.model, prompt: content, visibility: visibility.values(startedIn === null),
  }, { onChange: updateButtons, onDone: (answer) => showStored(answer, startedIn), onError: showAlert, onAnnounce: announce });
}

function showStored(answer, startedIn) {
  if (currentId() !== startedIn) return sidebar.refreshSoon(); // the person moved on meanwhile
  if (answer.created_conversation) {
    showConversation({ conversation: answer.conversation, can_write: true, messages: [] });
    thread.canWrite = true;
    history.pushState({ id: answer.conversation.id }, "", `/c/${answer.conversation.id}/`);
    watch();
  }
  if (prompt.value === answer.messages[0].content) prompt.value = "";
  answer.messages.forEach((message) => thread.upsert(message));
  sidebar.refreshSoon();
  return undefined;
}

function regenerate(message) {
  if (blockReason()) return showAlert(blockReason());
  return post({
    type: "chat.regenerate", request_id: newRequestId(), conversation_id: currentId(), message_id: message.id,
    ...modeOf(message.mode).frame({ ...settings.values(), ...format.values(), ...tools.values(), ...mcp.values() }), // as it was asked
  }, { kind: "regenerate", messageId: message.id });
}

// Answers to the pending tool calls (static/js/toolcalls.js); the model then goes on.
function sendToolResults(results, { messageId }) {
  if (blockReason()) return showAlert(blockReason());
  post({
    type: "chat.tool_result", request_id: newRequestId(), conversation_id: currentId(), parent_id: messageId, results,
    ...settings.values(), ...format.values(), ...tools.values(), ...mcp.values(),
  }, { kind: "tool_result", results });
  return undefined;
}

function myStreams() {
  return [...state.pending.entries()].filter(([, p]) => p.streamId !== undefined && p.conversationId === currentId());
}

function busy() {
  return [...state.pending.values()].some((p) => p.conversationId === undefined || p.conversationId === currentId());
}

function stop() {
  for (const [requestId] of myStreams()) socket.send({ type: "chat.cancel", request_id: requestId });
}

function updateButtons() {
  const streaming = myStreams().length > 0;
  $("stop").hidden = !streaming;
  $("send").hidden = streaming;
  const blocked = blockReason();
  $("send").disabled = busy() || Boolean(blocked);
  $("send").textContent = modeSwitch.mode.sendLabel();
  $("send-blocked").textContent = busy() ? "" : blocked;
  toolResults.update();
}

// Why Send is off (a schema to fix, a compared reply to pick, a model the mode cannot use), or "".
function blockReason() {
  const model = settings.currentModel();
  const own = modeSwitch.mode.blockReason({ model, attached: attachments.ids().length });
  if (modeSwitch.current !== "chat") return own;
  return own || format.blockReason() || tools.problem() || comparePicker.blockReason() || compare.blockReason()
    || attachments.blockReason() || imagesRefused(model);
}

// Attached images and a model known not to take them: said before sending (the server refuses it too).
function imagesRefused(model) {
  if (!attachments.ids().length || !model || model.capabilities?.vision !== false) return "";
  return `${model.name} does not take images: remove them or pick another model.`;
}

function messageAction(action, { message, content }) {
  if (action === "regenerate" || action === "retry") return regenerate(message);
  if (action === "edit") {
    if (message.mode) modeSwitch.set(message.mode); // an edited prompt stays a prompt, a message a message
    const images = (message.images || []).map((image) => image.id); // an edited message keeps its images
    return send(content, message.parent_id ?? null, { root: message.parent_id == null, images });
  }
  if (action === "code") return showCode(message.id);
  return undefined; // "leaf": switching branches is a view; every send names its parent
}

// Frames ---------------------------------------------------------------------------------

function mine(frame) {
  return frame.request_id && state.pending.get(frame.request_id);
}

function here(frame) {
  return frame.conversation_id === undefined || frame.conversation_id === currentId();
}

socket.on("conversation.created", (frame) => {
  const pending = mine(frame);
  if (!pending) return;
  pending.conversationId = frame.conversation.id;
  showConversation({ conversation: frame.conversation, can_write: true, messages: [] });
  thread.canWrite = true;
  history.pushState({ id: frame.conversation.id }, "", `/c/${frame.conversation.id}/`);
  sidebar.refreshSoon();
});

socket.on("message.created", (frame) => {
  const pending = mine(frame);
  if (pending) {
    pending.conversationId = frame.conversation_id;
    if (pending.kind === "send" && frame.message.role === "user" && prompt.value === pending.content) prompt.value = "";
    if (pending.kind === "send" && frame.message.role === "user" && pending.images?.length) attachments.clear();
  }
  if (here(frame)) thread.upsert(frame.message);
  sidebar.refreshSoon();
});

socket.on("stream.start", (frame) => {
  if (compare.owns(frame) && !state.pending.has(frame.request_id)) {
    // A compared reply: each column is a request of its own (`<request_id>:N`), stoppable alone.
    state.pending.delete(frame.request_id.replace(/:\d+$/, ""));
    state.pending.set(frame.request_id, { kind: "compare" });
  }
  const pending = mine(frame);
  if (pending) {
    pending.streamId = frame.message_id;
    pending.conversationId = frame.conversation_id;
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
  const pending = mine(frame);
  if (pending && frame.status !== "error") state.pending.delete(frame.request_id);
  updateButtons();
  toolResults.ended(frame, Boolean(pending) && here(frame)); // auto-reply with mocks
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
  if (state.canWrite) {
    // Our own replies started elsewhere (another tab, or before a reconnect) can be stopped from here.
    for (const entry of streaming) {
      if (entry.request_id && !state.pending.has(entry.request_id)) {
        state.pending.set(entry.request_id, { kind: "watch", streamId: entry.message_id, conversationId: currentId() });
      }
    }
    updateButtons();
  }
  const unknown = streaming.some((s) => !thread.messages.has(s.message_id));
  if (!unknown) return thread.resume(streaming);
  // A reply began between loading the conversation and watching it: load again.
  return api("GET", `/api/conversations/${currentId()}`).then((detail) => {
    thread.load(detail);
    thread.resume(streaming);
  });
});

// The conversation was deleted (by its owner, maybe in another tab): what of it was waiting is dropped, and the
// page moves to a new conversation with a notice saying why.
socket.on("conversation.deleted", (frame) => {
  for (const [requestId, pending] of state.pending) {
    if (pending.conversationId === frame.conversation_id) state.pending.delete(requestId);
  }
  sidebar.refreshSoon();
  if (frame.conversation_id !== currentId() || frame.conversation_id === state.deleting) return;
  const who = state.canWrite ? "This conversation was deleted (in another tab or window)"
    : `${state.conversation.owner} deleted this conversation`;
  state.conversation = null; // nothing to unwatch: it is gone
  newConversation();
  showAlert(`${who}. You are in a new conversation now.`);
});

// A frame the server could not read is answered without a request_id: it is the oldest one not yet answered.
function unanswered() {
  const waiting = [...state.pending.entries()].filter(([, p]) => p.conversationId === undefined && p.sent);
  return waiting.length ? waiting[0][0] : null;
}

socket.on("error", (frame) => {
  if (!frame.request_id) frame = { ...frame, request_id: unanswered() };
  const pending = mine(frame);
  // Another person's reply failed: its message shows that (stream.end); no banner for a watcher.
  if (frame.request_id && !pending) return;
  state.pending.delete(frame.request_id);
  updateButtons();
  const error = { code: frame.code, message: frame.message };
  if (pending && pending.streamId !== undefined) {
    thread.setError(pending.streamId, error);
    return;
  }
  const retry = pending && pending.kind === "send" ? () => send(pending.content, pending.parentId, { root: pending.root }) : null;
  const again = pending && pending.kind === "regenerate" ? () => regenerate(thread.messages.get(pending.messageId)) : retry;
  showAlert(frame.message || frame.code, again);
});

let connectedBefore = false;
socket.onopen = () => {
  if (connectedBefore && currentId() !== null) {
    // Frames were missed while offline: load the stored state again, then watch (conversation.state resumes).
    state.pending.clear();
    openConversation(currentId(), { push: false });
  } else {
    watch();
  }
  connectedBefore = true;
};
socket.onstate = (value) => {
  const node = $("connection");
  node.dataset.state = value;
  node.textContent = { online: "connected", offline: "reconnecting…", connecting: "connecting…" }[value];
  if (value === "offline") {
    // Replies in flight are resumed by the re-watch; nothing of ours is waiting on this socket any more.
    for (const [requestId, pending] of state.pending) if (pending.streamId === undefined) state.pending.delete(requestId);
    updateButtons();
  }
};

// Conversation actions ---------------------------------------------------------------------

async function patch(changes) {
  try {
    const detail = await api("PATCH", `/api/conversations/${currentId()}`, changes);
    state.conversation = detail.conversation;
    $("conversation-title").textContent = detail.conversation.title || "Untitled";
    $("visibility").value = detail.conversation.visibility;
    sidebar.refreshSoon();
  } catch (error) {
    showAlert(error.message);
  }
}

function startRename() {
  $("rename-input").value = state.conversation.title;
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
    const detail = await api("POST", `/api/conversations/${currentId()}/fork`, { message_id: thread.leafId });
    await openConversation(detail.conversation.id);
    sidebar.refreshSoon();
  } catch (error) {
    showAlert(error.message);
  }
}

// A reply's own request, or (no messageId) the one Send would make now: the settings panel as it is, and the composer.
function showCode(messageId) {
  if (messageId) return codeDialog.show(() => api("GET", `/api/conversations/${currentId()}/code?message_id=${messageId}`));
  const request = { conversation_id: currentId(), content: prompt.value,
    ...modeSwitch.frame({ ...settings.values(), ...format.values(), ...tools.values(), ...mcp.values() }) };
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
  if (!message || !state.canWrite) return announce("There is no reply here to regenerate.");
  if (busy()) return announce("Wait for the reply to finish, or stop it first.");
  return regenerate(message);
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
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || document.querySelector("dialog[open]")) return;
    if (!layout.closeOverlays()) stop();
  });
  $("shortcuts-button").addEventListener("click", () => $("shortcuts-dialog").showModal());
  bindShortcuts({
    new: () => newConversation(),
    composer: () => focusComposer(),
    sidebar: () => layout.toggle("sidebar"),
    settings: () => layout.toggle("settings"),
    regenerate: () => regenerateLast(),
    copy: () => copyLast(),
    help: () => $("shortcuts-dialog").showModal(),
  });
  $("stop").addEventListener("click", stop);
  $("new-conversation").addEventListener("click", () => newConversation());
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
    state.deleting = currentId(); // its conversation.deleted is no news to this tab
    try {
      await api("DELETE", `/api/conversations/${currentId()}`);
    } catch (error) {
      showAlert(error.message);
      return;
    }
    newConversation();
    sidebar.refresh();
  });
  document.querySelectorAll("dialog [data-close]").forEach((node) => {
    node.addEventListener("click", () => node.closest("dialog").close());
  });
  window.addEventListener("popstate", (event) => {
    const id = event.state && event.state.id;
    if (id) openConversation(id, { push: false });
    else newConversation({ push: false });
  });
  window.addEventListener("focus", () => sidebar.refreshSoon());
  window.addEventListener("focus", refreshProviders);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refreshProviders(); });
  setInterval(() => sidebar.refresh(), 20000);
}

bind();
installPromptTools({ conversation: () => state.conversation, leafId: () => thread.leafId, composer: prompt, attachments });
sidebar.refresh();
visibility.load();
const initial = data("initial-conversation");
if (initial) openConversation(initial, { push: false });
else showConversation(null);
window.playground = { socket, thread }; // for debugging from the console, and for the browser tests
