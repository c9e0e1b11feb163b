// What this tab asks of the server: a message (chat.send, or over HTTP for a mode that stores that way), a reply
// again (chat.regenerate), answers to tool calls (chat.tool_result) and Stop; and the Send and Stop buttons, which
// follow what is waiting and why Send is off.
import { announce, showAlert } from "./page_parts.js";
import { oversize } from "./frame_size.js";
import { modeOf } from "./modes.js";

const $ = (id) => document.getElementById(id);

export class Sender {
  // pending: PendingRequests (static/js/pending_requests.js); view: ConversationView; panels: RequestSettings.
  constructor({ socket, pending, view, thread, sidebar, compare, panels, comparePicker, attachments, visibility, toolResults, composer }) {
    Object.assign(this, {
      socket, pending, view, thread, sidebar, compare, panels, comparePicker, attachments, visibility, toolResults, composer,
    });
  }

  // What leaves for the server is checked against its frame limit first (PLAYGROUND_MAX_FRAME_BYTES, on the page):
  // too large, it stays in the composer with the sizes in plain words, and nothing waits for an answer.
  post(frame, pending) {
    const problem = oversize(frame, Number($("app").dataset.maxFrameBytes) || 0); // the server's limit, on the page
    if (problem) {
      showAlert(problem);
      return false;
    }
    this.pending.set(frame.request_id, { ...pending, sent: true });
    this.socket.send(frame);
    $("alerts").replaceChildren();
    this.updateButtons();
    return true;
  }

  send(content, parentId, { root = false, images = [] } = {}) {
    const values = this.panels.frame(this.comparePicker.values());
    if (!values.provider || !values.model) {
      showAlert("Pick a provider and a model in the settings first.");
      return false;
    }
    if (this.blockReason()) {
      showAlert(this.blockReason());
      return false;
    }
    const requestId = this.pending.newId();
    const frame = {
      type: "chat.send", request_id: requestId, conversation_id: this.view.id, parent_id: parentId, content, ...values,
      ...this.visibility.values(this.view.id === null),
    };
    if (root) frame.root = true; // an edit of the first message: a new root, not an append
    if (images.length) frame.images = images;
    if (!this.post(frame, { kind: "send", content, parentId, root, images })) return false;
    if (values.compare) this.compare.begin(requestId, values.compare);
    return true;
  }

  // The composer's text (and attached images), in the current mode.
  submit() {
    const content = this.composer.value;
    const images = this.attachments.ids();
    if ((!content.trim() && !images.length) || !this.view.canWrite || this.busy()) return;
    if (this.panels.modeSwitch.mode.submit) this.submitOver(content);
    else this.send(content, this.view.id === null ? null : this.thread.leafId, { images });
  }

  // A mode that stores over HTTP (Image, static/js/image_mode.js): the stored prompt and reply come back.
  submitOver(content) {
    const values = this.panels.settings.values();
    if (!values.provider || !values.model) return showAlert("Pick a provider and a model in the settings first.");
    if (this.blockReason()) return showAlert(this.blockReason());
    const startedIn = this.view.id;
    return this.panels.modeSwitch.mode.submit({
      conversationId: startedIn, parentId: startedIn === null ? null : this.thread.leafId, provider: values.provider,
      model: values.model, prompt: content, visibility: this.visibility.values(startedIn === null),
    }, {
      onChange: () => this.updateButtons(), onDone: (answer) => this.showStored(answer, startedIn), onError: showAlert,
      onAnnounce: announce,
    });
  }

  showStored(answer, startedIn) {
    if (this.view.id !== startedIn) return this.sidebar.refreshSoon(); // the person moved on meanwhile
    if (answer.created_conversation) {
      this.view.adopt(answer.conversation);
      this.view.watch();
    }
    if (this.composer.value === answer.messages[0].content) this.composer.value = "";
    answer.messages.forEach((message) => this.thread.upsert(message));
    this.sidebar.refreshSoon();
    return undefined;
  }

  regenerate(message) {
    if (this.blockReason()) return showAlert(this.blockReason());
    return this.post({
      type: "chat.regenerate", request_id: this.pending.newId(), conversation_id: this.view.id, message_id: message.id,
      ...modeOf(message.mode).frame(this.panels.values()), // as it was asked
    }, { kind: "regenerate", messageId: message.id });
  }

  // Answers to the pending tool calls (static/js/toolcalls.js); the model then goes on.
  sendToolResults(results, { messageId }) {
    if (this.blockReason()) return showAlert(this.blockReason());
    this.post({
      type: "chat.tool_result", request_id: this.pending.newId(), conversation_id: this.view.id, parent_id: messageId,
      results, ...this.panels.values(),
    }, { kind: "tool_result", results });
    return undefined;
  }

  busy() {
    return this.pending.busy(this.view.id);
  }

  stop() {
    for (const [requestId] of this.pending.streams(this.view.id)) this.socket.send({ type: "chat.cancel", request_id: requestId });
  }

  updateButtons() {
    const streaming = this.pending.streams(this.view.id).length > 0;
    $("stop").hidden = !streaming;
    $("send").hidden = streaming;
    const blocked = this.blockReason();
    $("send").disabled = this.busy() || Boolean(blocked);
    $("send").textContent = this.panels.modeSwitch.mode.sendLabel();
    $("send-blocked").textContent = this.busy() ? "" : blocked;
    this.toolResults.update();
  }

  // Why Send is off (a schema to fix, a compared reply to pick, a model the mode cannot use), or "".
  blockReason() {
    const { settings, format, tools, modeSwitch } = this.panels;
    const model = settings.currentModel();
    const own = modeSwitch.mode.blockReason({ model, attached: this.attachments.ids().length });
    if (modeSwitch.current !== "chat") return own;
    return own || format.blockReason() || tools.problem() || this.comparePicker.blockReason() || this.compare.blockReason()
      || this.attachments.blockReason() || this.imagesRefused(model);
  }

  // Attached images and a model known not to take them: said before sending (the server refuses it too).
  imagesRefused(model) {
    if (!this.attachments.ids().length || !model || model.capabilities?.vision !== false) return "";
    return `${model.name} does not take images: remove them or pick another model.`;
  }
}
