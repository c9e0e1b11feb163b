// What the chat socket says, frame by frame: a conversation made, a message stored, replies streaming and ending,
// what a watched conversation is doing, its deletion and errors; and the connection going and coming back.
// A frame is `here` when it is about the conversation on screen, `mine` when it answers a request of this tab.
import { api } from "./api.js";
import { announce, showAlert } from "./page_parts.js";

const $ = (id) => document.getElementById(id);

export class ChatFrames {
  // pending: PendingRequests; view: ConversationView; sender: Sender (static/js/sending.js).
  constructor(socket, { pending, view, sender, thread, compare, sidebar, toolResults, attachments, composer }) {
    Object.assign(this, { pending, view, sender, thread, compare, sidebar, toolResults, attachments, composer });
    this.connectedBefore = false;
    socket.on("conversation.created", (frame) => this.created(frame));
    socket.on("message.created", (frame) => this.message(frame));
    socket.on("stream.start", (frame) => this.streamStart(frame));
    socket.on("stream.delta", (frame) => thread.delta(frame));
    socket.on("stream.reasoning", (frame) => thread.reasoning(frame));
    socket.on("stream.tool_call", (frame) => thread.toolCallDelta(frame));
    socket.on("stream.end", (frame) => this.streamEnd(frame));
    socket.on("conversation.state", (frame) => this.conversationState(frame));
    socket.on("conversation.deleted", (frame) => this.deleted(frame));
    socket.on("error", (frame) => this.error(frame));
    socket.onopen = () => this.opened();
    socket.onstate = (value) => this.connection(value);
  }

  mine(frame) {
    return this.pending.mine(frame);
  }

  here(frame) {
    return frame.conversation_id === undefined || frame.conversation_id === this.view.id;
  }

  created(frame) {
    const pending = this.mine(frame);
    if (!pending) return;
    pending.conversationId = frame.conversation.id;
    this.view.adopt(frame.conversation);
    this.sidebar.refreshSoon();
  }

  message(frame) {
    const pending = this.mine(frame);
    if (pending) {
      pending.conversationId = frame.conversation_id;
      const asked = pending.kind === "send" && frame.message.role === "user";
      if (asked && this.composer.value === pending.content) this.composer.value = "";
      if (asked && pending.images?.length) this.attachments.clear();
    }
    if (this.here(frame)) this.thread.upsert(frame.message);
    this.sidebar.refreshSoon();
  }

  streamStart(frame) {
    if (this.compare.owns(frame) && !this.pending.has(frame.request_id)) {
      // A compared reply: each column is a request of its own (`<request_id>:N`), stoppable alone.
      this.pending.delete(frame.request_id.replace(/:\d+$/, ""));
      this.pending.set(frame.request_id, { kind: "compare" });
    }
    const pending = this.mine(frame);
    if (pending) {
      pending.streamId = frame.message_id;
      pending.conversationId = frame.conversation_id;
    }
    if (this.here(frame) && !this.compare.start(frame)) this.thread.startStream(frame);
    if (this.here(frame)) announce(`${frame.model || "The assistant"} is replying.`);
    this.sender.updateButtons();
  }

  streamEnd(frame) {
    if (this.here(frame)) {
      this.thread.endStream(frame);
      if (frame.content_omitted) this.fetchLongReply(frame);
      else announceEnd(this.thread.messages.get(frame.message_id) || frame);
    }
    const pending = this.mine(frame);
    if (pending && frame.status !== "error") this.pending.delete(frame.request_id);
    this.sender.updateButtons();
    this.toolResults.ended(frame, Boolean(pending) && this.here(frame)); // auto-reply with mocks
    this.sidebar.refreshSoon();
  }

  // A reply too long to repeat in stream.end: its stored text and sanitized html come over HTTP.
  async fetchLongReply(frame) {
    const detail = await api("GET", `/api/conversations/${frame.conversation_id}`);
    const stored = detail.messages.find((m) => m.id === frame.message_id);
    if (stored && this.here(frame)) {
      this.thread.upsert(stored, { follow: false });
      announceEnd(stored);
    }
  }

  conversationState(frame) {
    if (!this.here(frame)) return undefined;
    const streaming = frame.streaming || [];
    if (this.view.canWrite) {
      // Our own replies started elsewhere (another tab, or before a reconnect) can be stopped from here.
      for (const entry of streaming) {
        if (entry.request_id && !this.pending.has(entry.request_id)) {
          this.pending.set(entry.request_id, { kind: "watch", streamId: entry.message_id, conversationId: this.view.id });
        }
      }
      this.sender.updateButtons();
    }
    const unknown = streaming.some((s) => !this.thread.messages.has(s.message_id));
    if (!unknown) return this.thread.resume(streaming);
    // A reply began between loading the conversation and watching it: load again.
    return api("GET", `/api/conversations/${this.view.id}`).then((detail) => {
      this.thread.load(detail);
      this.thread.resume(streaming);
    });
  }

  // The conversation was deleted (by its owner, maybe in another tab): what of it was waiting is dropped, and the
  // page moves to a new conversation with a notice saying why.
  deleted(frame) {
    this.pending.dropConversation(frame.conversation_id);
    this.sidebar.refreshSoon();
    const view = this.view;
    if (frame.conversation_id !== view.id || frame.conversation_id === view.deleting) return;
    const who = view.canWrite ? "This conversation was deleted (in another tab or window)"
      : `${view.conversation.owner} deleted this conversation`;
    view.conversation = null; // nothing to unwatch: it is gone
    view.startNew();
    showAlert(`${who}. You are in a new conversation now.`);
  }

  error(frame) {
    if (!frame.request_id) frame = { ...frame, request_id: this.pending.unanswered() };
    const pending = this.mine(frame);
    // Another person's reply failed: its message shows that (stream.end); no banner for a watcher.
    if (frame.request_id && !pending) return;
    this.pending.delete(frame.request_id);
    this.sender.updateButtons();
    const error = { code: frame.code, message: frame.message };
    if (pending && pending.streamId !== undefined) {
      this.thread.setError(pending.streamId, error);
      return;
    }
    const sender = this.sender;
    const retry = pending && pending.kind === "send" ? () => sender.send(pending.content, pending.parentId, { root: pending.root }) : null;
    const again = pending && pending.kind === "regenerate" ? () => sender.regenerate(this.thread.messages.get(pending.messageId)) : retry;
    showAlert(frame.message || frame.code, again);
  }

  opened() {
    if (this.connectedBefore && this.view.id !== null) {
      // Frames were missed while offline: load the stored state again, then watch (conversation.state resumes).
      this.pending.clear();
      this.view.open(this.view.id, { push: false });
    } else {
      this.view.watch();
    }
    this.connectedBefore = true;
  }

  connection(value) {
    const node = $("connection");
    node.dataset.state = value;
    node.textContent = { online: "connected", offline: "reconnecting…", connecting: "connecting…" }[value];
    if (value === "offline") {
      // Replies in flight are resumed by the re-watch; nothing of ours is waiting on this socket any more.
      this.pending.dropUnstarted();
      this.sender.updateButtons();
    }
  }
}

// Screen readers hear a reply once, when it is final (the thread itself is aria-live="off": no token by token).
function announceEnd(message) {
  const who = message.model || "The assistant";
  if (message.status === "complete") announce(`${who} replied: ${(message.content || "").slice(0, 600)}`);
  else if (message.status === "cancelled") announce(`${who}'s reply was stopped.`);
  else announce(`${who}'s reply failed.`);
}
