// The page at three widths (static/playground.css): three columns from 1,280 px; below that the sidebar and
// the settings are drawers opened from the header (remembered between 768 and 1,279 px); below 768 px the
// drawers slide over the page and the header's actions fold into a menu.
const WIDE = window.matchMedia("(min-width: 1280px)");
const NARROW = window.matchMedia("(max-width: 767px)");
const KEY = "playground.drawers";
const DEFAULTS = { sidebar: false, settings: true }; // a first visit shows where to pick a model

const $ = (id) => document.getElementById(id);

function remembered() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) || "{}") };
  } catch (_) {
    return { ...DEFAULTS };
  }
}

export class Layout {
  constructor() {
    this.app = $("app");
    this.backdrop = $("drawer-backdrop");
    this.menu = $("header-menu");
    this.menuButton = $("menu-button");
    this.toggles = { sidebar: $("toggle-sidebar"), settings: $("toggle-settings") };
    this.open = remembered();
    this.toggles.sidebar.addEventListener("click", () => this.toggle("sidebar"));
    this.toggles.settings.addEventListener("click", () => this.toggle("settings"));
    this.backdrop.addEventListener("click", () => this.closeOverlays());
    document.querySelectorAll(".drawer-close").forEach((button) => {
      button.addEventListener("click", () => this.closeOverlays());
    });
    this.menuButton.addEventListener("click", () => this.setMenu(!this.menuOpen));
    this.menu.addEventListener("click", (event) => {
      if (NARROW.matches && event.target.closest("button, a")) this.setMenu(false);
    });
    document.addEventListener("click", (event) => {
      if (this.menuOpen && !this.menu.contains(event.target) && !this.menuButton.contains(event.target)) this.setMenu(false);
    });
    WIDE.addEventListener("change", () => this.render());
    NARROW.addEventListener("change", () => {
      if (NARROW.matches) this.open = { sidebar: false, settings: false };
      else this.open = remembered();
      this.render();
    });
    if (NARROW.matches) this.open = { sidebar: false, settings: false };
    this.setMenu(false);
    this.render();
  }

  get menuOpen() {
    return this.menuButton.getAttribute("aria-expanded") === "true";
  }

  // Shows or hides a drawer ("sidebar" or "settings"); on a wide screen both are always there: it is focused.
  toggle(name, wanted = !this.open[name]) {
    if (WIDE.matches) {
      this.focusInside(name);
      return;
    }
    this.open[name] = wanted;
    if (NARROW.matches && wanted) this.open[name === "sidebar" ? "settings" : "sidebar"] = false; // one over the page
    if (!NARROW.matches) {
      try {
        localStorage.setItem(KEY, JSON.stringify(this.open));
      } catch (_) { /* storage refused: remembered for this page only */ }
    }
    this.render();
    if (wanted) this.focusInside(name);
  }

  focusInside(name) {
    $(name).querySelector("button, input, select, textarea, a[href]").focus();
  }

  // Escape, a tap beside a drawer, or opening a conversation from it on a phone.
  closeOverlays() {
    let closed = false;
    if (this.menuOpen) {
      const within = this.menu.contains(document.activeElement);
      this.setMenu(false);
      if (within) this.menuButton.focus();
      closed = true;
    }
    if (NARROW.matches && (this.open.sidebar || this.open.settings)) {
      const name = this.open.sidebar ? "sidebar" : "settings";
      this.open = { sidebar: false, settings: false };
      this.render();
      this.toggles[name].focus();
      closed = true;
    }
    return closed;
  }

  // A conversation picked in the sidebar (or a new one): on a phone its drawer makes way for the chat.
  picked(name) {
    if (!NARROW.matches || !this.open[name]) return;
    this.open[name] = false;
    this.render();
  }

  setMenu(open) {
    this.menuButton.setAttribute("aria-expanded", String(open));
    this.menu.classList.toggle("open", open);
  }

  render() {
    for (const name of ["sidebar", "settings"]) {
      const shown = WIDE.matches || this.open[name];
      this.app.classList.toggle(`${name}-open`, shown);
      this.toggles[name].setAttribute("aria-expanded", String(shown));
    }
    const over = NARROW.matches && (this.open.sidebar || this.open.settings);
    this.backdrop.hidden = !over;
    this.app.querySelector(".chat").inert = over; // the drawer over the page holds the keyboard until it closes
  }
}
