// The conversation on screen: which one it is (none for a new one), whether this person may write in it, and
// showing, opening and leaving it: the header, the read-only notices, the settings it was made with, the URL.
import { api } from "./api.js";
import { showAlert } from "./page_parts.js";

const $ = (id) => document.getElementById(id);

export class ConversationView {
  // panels: the RequestSettings (static/js/request_settings.js); onChange: what Send allows may have changed.
  constructor({ socket, thread, sidebar, layout, compare, panels, visibility, composer, onChange }) {
    Object.assign(this, { socket, thread, sidebar, layout, compare, panels, visibility, composer, onChange });
    this.conversation = null; // {id, title, visibility, owner, ...} or null for a new one
    this.canWrite = true;
    this.deleting = null; // the id of the conversation this tab is deleting
  }

  get id() {
    return this.conversation ? this.conversation.id : null;
  }

  watch() {
    if (this.id !== null) this.socket.send({ type: "conversation.watch", conversation_id: this.id }, { queue: false });
  }

  unwatch(id) {
    this.socket.send({ type: "conversation.unwatch", conversation_id: id }, { queue: false });
  }

  show(detail) {
    this.conversation = detail ? detail.conversation : null;
    this.canWrite = detail ? detail.can_write : true;
    const conversation = this.conversation;
    $("conversation-title").textContent = conversation ? conversation.title || "Untitled" : "New conversation";
    $("conversation-owner").textContent = conversation && !this.canWrite ? `by ${conversation.owner}` : "";
    $("conversation-actions").hidden = !conversation;
    document.querySelectorAll(".owner-only").forEach((node) => { node.hidden = !this.canWrite; });
    if (conversation) {
      $("visibility").value = conversation.visibility;
      $("export-json").href = `/api/conversations/${conversation.id}/export.json`;
      $("export-md").href = `/api/conversations/${conversation.id}/export.md`;
      if (conversation.settings) this.panels.apply(conversation.settings);
    }
    $("composer").hidden = !this.canWrite;
    $("readonly").hidden = this.canWrite;
    $("readonly-owner").textContent = conversation ? conversation.owner : "";
    this.lockSettings(conversation);
    this.visibility.showFor(conversation);
    $("alerts").replaceChildren();
    this.sidebar.setActive(this.id);
    this.onChange();
  }

  // Someone else's conversation is read-only: its settings show what was used, and cannot be changed here.
  lockSettings(conversation) {
    $("settings-fieldset").disabled = !this.canWrite;
    $("tools-panel").inert = !this.canWrite;
    $("mcp-panel").inert = !this.canWrite;
    $("settings-readonly").hidden = this.canWrite;
    $("settings-readonly-owner").textContent = conversation ? conversation.owner : "";
  }

  async open(id, { push = true } = {}) {
    const previous = this.id;
    let detail;
    try {
      detail = await api("GET", `/api/conversations/${id}`);
    } catch (error) {
      showAlert(error.status === 404 ? "That conversation does not exist or is private." : error.message);
      return;
    }
    if (previous !== null && previous !== id) this.unwatch(previous);
    this.show(detail);
    if (push) history.pushState({ id }, "", `/c/${id}/`);
    const leaf = push ? null : leafInUrl(detail);
    this.thread.load(leaf ? { ...detail, current_leaf_id: leaf } : detail);
    this.panels.modeSwitch.follow(this.thread.path());
    this.compare.restore({ chosen: Boolean(leaf) });
    this.watch();
    this.onChange();
  }

  // A conversation this tab just made (by a send, or a mode's HTTP submit) is the one on screen now.
  adopt(conversation) {
    this.show({ conversation, can_write: true, messages: [] });
    this.thread.canWrite = true;
    history.pushState({ id: conversation.id }, "", `/c/${conversation.id}/`);
  }

  // Renamed, or its visibility changed: the stored conversation as the server answered it.
  changed(conversation) {
    this.conversation = conversation;
    $("conversation-title").textContent = conversation.title || "Untitled";
    $("visibility").value = conversation.visibility;
  }

  // The branch on screen is in the URL (?leaf=ID): a reload, or the link shared, shows that branch again.
  rememberLeaf() {
    const id = this.id;
    if (id === null || !window.location.pathname.startsWith(`/c/${id}/`)) return;
    const url = this.thread.leafId === null ? `/c/${id}/` : `/c/${id}/?leaf=${this.thread.leafId}`;
    if (window.location.pathname + window.location.search !== url) history.replaceState(history.state, "", url);
  }

  startNew({ push = true } = {}) {
    if (this.id !== null) this.unwatch(this.id);
    this.layout.picked("sidebar");
    this.show(null);
    this.thread.clear();
    if (push) history.pushState({ id: null }, "", "/");
    this.composer.focus();
  }
}

// The leaf named in the URL, if it is a message of this conversation.
function leafInUrl(detail) {
  const leaf = Number(new URLSearchParams(window.location.search).get("leaf"));
  return detail.messages.some((m) => m.id === leaf) ? leaf : null;
}
