// What a person does to the conversation on screen: rename it, change who sees it, fork it, delete it, see a
// request as code; and what the keyboard shortcuts do to it (static/js/shortcuts.js).
import { api, copyText } from "./api.js";
import { announce, showAlert } from "./page_parts.js";

const $ = (id) => document.getElementById(id);

export class ConversationActions {
  // view: ConversationView; sender: Sender (regenerates); panels: RequestSettings; codeDialog: page_parts.js.
  constructor({ view, thread, sidebar, layout, sender, panels, codeDialog, composer }) {
    Object.assign(this, { view, thread, sidebar, layout, sender, panels, codeDialog, composer });
    $("rename").addEventListener("click", () => this.startRename());
    $("rename-cancel").addEventListener("click", () => this.endRename());
    $("rename-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.patch({ title: $("rename-input").value });
      this.endRename();
    });
    $("visibility").addEventListener("change", () => this.patch({ visibility: $("visibility").value }));
    for (const id of ["fork", "fork-readonly", "fork-settings"]) $(id).addEventListener("click", () => this.fork());
    $("view-code").addEventListener("click", () => this.showCode(null));
    $("delete").addEventListener("click", () => $("delete-dialog").showModal());
    $("delete-confirm").addEventListener("click", () => this.deleteConfirmed());
  }

  async patch(changes) {
    try {
      const detail = await api("PATCH", `/api/conversations/${this.view.id}`, changes);
      this.view.changed(detail.conversation);
      this.sidebar.refreshSoon();
    } catch (error) {
      showAlert(error.message);
    }
  }

  startRename() {
    $("rename-input").value = this.view.conversation.title;
    $("rename-form").hidden = false;
    $("conversation-title").hidden = true;
    $("rename-input").focus();
  }

  endRename() {
    $("rename-form").hidden = true;
    $("conversation-title").hidden = false;
  }

  async fork() {
    try {
      const detail = await api("POST", `/api/conversations/${this.view.id}/fork`, { message_id: this.thread.leafId });
      await this.view.open(detail.conversation.id);
      this.sidebar.refreshSoon();
    } catch (error) {
      showAlert(error.message);
    }
  }

  async deleteConfirmed() {
    $("delete-dialog").close();
    this.view.deleting = this.view.id; // its conversation.deleted is no news to this tab
    try {
      await api("DELETE", `/api/conversations/${this.view.id}`);
    } catch (error) {
      showAlert(error.message);
      return;
    }
    this.view.startNew();
    this.sidebar.refresh();
  }

  // A reply's own request, or (no messageId) the one Send would make now: the settings panel as it is, and the composer.
  showCode(messageId) {
    const url = `/api/conversations/${this.view.id}/code?message_id=${messageId}`;
    if (messageId) return this.codeDialog.show(() => api("GET", url));
    const request = { conversation_id: this.view.id, content: this.composer.value, ...this.panels.frame() };
    return this.codeDialog.show(() => api("POST", "/api/code", request));
  }

  // Keyboard shortcuts ---------------------------------------------------------------------------

  lastReply() {
    return this.thread.path().reverse().find((m) => m.role === "assistant" && m.status !== "streaming");
  }

  focusComposer() {
    this.layout.closeOverlays();
    if ($("composer").hidden) $("fork-readonly").focus();
    else this.composer.focus();
  }

  regenerateLast() {
    const message = this.lastReply();
    if (!message || !this.view.canWrite) return announce("There is no reply here to regenerate.");
    if (this.sender.busy()) return announce("Wait for the reply to finish, or stop it first.");
    return this.sender.regenerate(message);
  }

  async copyLast() {
    const message = this.lastReply();
    if (!message) return announce("There is no reply here to copy.");
    return announce(await copyText(message.content) ? "Copied the last reply." : "The browser did not allow copying.");
  }
}
