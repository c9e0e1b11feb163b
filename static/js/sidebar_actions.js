// The sidebar's tools for many conversations: select and delete several, and import an exported file.
import { api } from "./api.js";
import { button, el } from "./dom.js";

const $ = (id) => document.getElementById(id);

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export class SidebarActions {
  constructor(sidebar, { onOpen, onDeleted }) {
    this.sidebar = sidebar;
    this.onOpen = onOpen;
    this.onDeleted = onDeleted;
    this.status = $("sidebar-status");
    this.toggle = $("select-toggle");
    this.remove = $("delete-selected");
    this.file = $("import-file");
    sidebar.onSelect = (ids) => this.selected(ids);
    this.toggle.addEventListener("click", () => this.select(this.toggle.getAttribute("aria-pressed") !== "true"));
    this.remove.addEventListener("click", () => this.confirm());
    $("bulk-delete-confirm").addEventListener("click", () => this.deleteSelected());
    $("import-button").addEventListener("click", () => this.file.click());
    this.file.addEventListener("change", () => this.importChosen());
  }

  say(text, ...buttons) {
    this.status.replaceChildren(el("span", "", text), ...buttons);
  }

  // Bulk delete ---------------------------------------------------------------------------------

  select(on) {
    this.toggle.setAttribute("aria-pressed", String(on));
    this.remove.hidden = !on;
    this.sidebar.select(on);
  }

  selected(ids) {
    this.remove.disabled = ids.size === 0;
    this.remove.textContent = ids.size ? `Delete selected (${ids.size})` : "Delete selected";
  }

  confirm() {
    const count = this.sidebar.selected.size;
    if (!count) return;
    $("bulk-delete-text").textContent = `Delete ${plural(count, "conversation")}? Every message and branch in `
      + `${count === 1 ? "it" : "them"} is removed. This cannot be undone.`;
    $("bulk-delete-confirm").textContent = `Delete ${plural(count, "conversation")}`;
    $("bulk-delete-dialog").showModal();
  }

  async deleteSelected() {
    $("bulk-delete-dialog").close();
    const ids = [...this.sidebar.selected];
    let answer;
    try {
      answer = await api("POST", "/api/conversations/delete", { ids });
    } catch (error) {
      this.say(error.message);
      return;
    }
    const refused = answer.refused.length
      ? ` ${plural(answer.refused.length, "conversation")} could not be deleted: only the owner can delete one.` : "";
    this.say(`Deleted ${plural(answer.deleted.length, "conversation")}.${refused}`);
    this.select(false);
    this.onDeleted(answer.deleted);
    await this.sidebar.refresh();
    this.toggle.focus();
  }

  // Import ------------------------------------------------------------------------------------

  async importChosen() {
    const chosen = this.file.files[0];
    this.file.value = ""; // the same file can be chosen again
    if (!chosen) return;
    let body;
    try {
      body = JSON.parse(await chosen.text());
    } catch (_) {
      this.say(`${chosen.name} is not JSON: choose a file from “Export JSON”.`);
      return;
    }
    await this.importFile(chosen.name, body, false);
  }

  async importFile(name, body, copy) {
    let detail;
    try {
      detail = await api("POST", `/api/conversations/import${copy ? "?copy=1" : ""}`, body);
    } catch (error) {
      if (error.status !== 409) {
        this.say(`${name} was not imported: ${error.message}`);
        return;
      }
      const again = button("Import as a copy", "small");
      again.addEventListener("click", () => this.importFile(name, body, true));
      this.say(error.message, again); // it names the earlier import
      again.focus();
      return;
    }
    this.say(`Imported ${detail.conversation.title || name}${detail.copied ? " as a copy" : ""}.`);
    await this.sidebar.refresh();
    this.onOpen(detail.conversation.id);
  }
}
