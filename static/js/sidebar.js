// The conversation lists (mine and the team's) with search and "Show more".
import { api } from "./api.js";

export function relativeTime(iso) {
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 86400 * 30) return `${Math.round(seconds / 86400)} d ago`;
  return new Date(iso).toLocaleDateString();
}

export class Sidebar {
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.activeId = null;
    this.query = "";
    this.lists = { mine: document.getElementById("list-mine"), team: document.getElementById("list-team") };
    this.cursors = { mine: null, team: null };
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
    await Promise.all([this.load("mine", false), this.load("team", false)]);
  }

  async load(scope, more) {
    const params = new URLSearchParams({ scope });
    if (this.query) params.set("q", this.query);
    if (more && this.cursors[scope]) params.set("before", this.cursors[scope]);
    let data;
    try {
      data = await api("GET", `/api/conversations?${params}`);
    } catch (_) {
      return;
    }
    const list = this.lists[scope];
    if (!more) list.replaceChildren();
    data.items.forEach((item) => list.append(this.item(item, scope)));
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
    li.append(link);
    return li;
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
