// The conversation lists (pinned, mine and the team's) with search, "Show more", pins and bulk selection.
import { api } from "./api.js";
import { el } from "./dom.js";

export function relativeTime(iso) {
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 86400 * 30) return `${Math.round(seconds / 86400)} d ago`;
  return new Date(iso).toLocaleDateString();
}

export class Sidebar {
  constructor({ onOpen, onSelect, me }) {
    this.onOpen = onOpen;
    this.me = me; // a pinned conversation of someone else's names its owner
    this.onSelect = onSelect || (() => {}); // the ticked ids changed (static/js/sidebar_actions.js)
    this.activeId = null;
    this.query = "";
    this.pinnedIds = new Set();
    this.selecting = false;
    this.selected = new Set();
    this.pinnedSection = document.getElementById("pinned-section");
    this.lists = { mine: document.getElementById("list-mine"), team: document.getElementById("list-team") };
    this.cursors = { mine: null, team: null };
    this.tickets = { mine: 0, team: 0 }; // an answer overtaken by a newer request for its list is dropped
    this.search = document.getElementById("search");
    let timer = null;
    this.search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.query = this.search.value.trim(); this.refresh(); }, 250);
    });
    document.querySelectorAll("[data-more]").forEach((button) => {
      button.addEventListener("click", () => this.load(button.dataset.more, true));
    });
    this.refreshSoon = debounce(() => this.refresh(), 200);
  }

  async refresh() {
    await this.load("mine", false); // its first page names the pinned ones, kept out of the lists below
    await this.load("team", false);
  }

  showPinned(items) {
    this.pinnedIds = new Set(this.query ? [] : items.map((c) => c.id));
    const list = document.getElementById("list-pinned");
    list.replaceChildren(...(this.query ? [] : items).map((c) => this.item(c, c.owner === this.me ? "mine" : "team")));
    this.pinnedSection.hidden = !list.children.length;
    // Listed once: a conversation pinned since its list was drawn leaves that list.
    Object.values(this.lists).forEach((other) => other.querySelectorAll(".conv-item").forEach((link) => {
      if (this.pinnedIds.has(Number(link.dataset.conversationId))) link.closest("li").remove();
    }));
  }

  async pin(conversation, pinned) {
    try {
      await api(pinned ? "PUT" : "DELETE", `/api/conversations/${conversation.id}/pin`);
    } catch (_) {
      return;
    }
    await this.refresh();
    const again = document.querySelector(`.pin-toggle[data-conversation-id="${conversation.id}"]`);
    if (again) again.focus(); // the list was redrawn: keep the keyboard where it was
  }

  // Bulk selection: a checkbox on each item while `selecting`.
  select(on) {
    this.selecting = on;
    this.selected.clear();
    document.querySelector(".lists").classList.toggle("selecting", on);
    document.querySelectorAll(".conv-check").forEach((box) => { box.hidden = !on; box.checked = false; });
    this.onSelect(this.selected);
  }

  tick(id, on) {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
    this.onSelect(this.selected);
  }

  async load(scope, more) {
    const params = new URLSearchParams({ scope });
    if (this.query) params.set("q", this.query);
    if (more && this.cursors[scope]) params.set("before", this.cursors[scope]);
    let data;
    const ticket = ++this.tickets[scope];
    try {
      data = await api("GET", `/api/conversations?${params}`);
    } catch (_) {
      return;
    }
    if (ticket !== this.tickets[scope]) return;
    const list = this.lists[scope];
    if (!more) list.replaceChildren();
    if (data.pinned && scope === "mine") this.showPinned(data.pinned);
    data.items.filter((item) => !this.pinnedIds.has(item.id)).forEach((item) => list.append(this.item(item, scope)));
    if (!list.children.length) {
      const empty = document.createElement("li");
      empty.className = "muted small empty-item";
      empty.textContent = this.query ? "No matches" : "Nothing yet";
      list.append(empty);
    }
    this.cursors[scope] = data.next;
    document.querySelector(`[data-more="${scope}"]`).hidden = !data.next;
  }

  item(conversation, scope) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/c/${conversation.id}/`;
    link.className = "conv-item";
    link.dataset.conversationId = conversation.id;
    if (conversation.id === this.activeId) link.setAttribute("aria-current", "page");
    const title = document.createElement("span");
    title.className = "conv-title";
    title.textContent = conversation.title || "Untitled";
    const meta = document.createElement("span");
    meta.className = "conv-meta";
    const parts = [];
    if (scope === "team") parts.push(conversation.owner);
    if (conversation.model) parts.push(conversation.model);
    parts.push(relativeTime(conversation.updated));
    meta.textContent = parts.join(" · ");
    if (scope === "mine" && conversation.visibility === "private") {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "private";
      meta.append(" ", badge);
    }
    link.append(title, meta);
    link.addEventListener("click", (event) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      this.onOpen(conversation.id);
    });
    li.className = "conv-row";
    li.append(this.checkbox(conversation), link, this.pinButton(conversation));
    return li;
  }

  checkbox(conversation) {
    const box = el("input", "conv-check");
    box.type = "checkbox";
    box.hidden = !this.selecting;
    box.checked = this.selected.has(conversation.id);
    box.setAttribute("aria-label", `Select ${conversation.title || "Untitled"}`);
    box.addEventListener("change", () => this.tick(conversation.id, box.checked));
    return box;
  }

  pinButton(conversation) {
    const title = conversation.title || "Untitled";
    const pin = el("button", "ghost small pin-toggle", conversation.pinned ? "Unpin" : "Pin");
    pin.type = "button";
    pin.dataset.conversationId = conversation.id;
    pin.setAttribute("aria-label", `${conversation.pinned ? "Unpin" : "Pin"} ${title}`);
    pin.addEventListener("click", () => this.pin(conversation, !conversation.pinned));
    return pin;
  }

  setActive(id) {
    this.activeId = id;
    document.querySelectorAll(".conv-item").forEach((link) => {
      if (Number(link.dataset.conversationId) === id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
