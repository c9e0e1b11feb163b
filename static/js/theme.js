// Light or dark: the choice remembered in localStorage, else the system's prefers-color-scheme.
// A classic script loaded in <head>, so the theme is set before the page is painted.
(function () {
  const KEY = "playground.theme";
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      const value = localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (_) {
      return null;
    }
  }

  function paint(theme) {
    root.dataset.theme = theme;
    document.querySelectorAll(".theme-toggle").forEach((button) => {
      button.setAttribute("aria-pressed", String(theme === "dark"));
    });
  }

  function apply() {
    paint(stored() || (system.matches ? "dark" : "light"));
  }

  function toggle() {
    const next = root.dataset.theme === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(KEY, next);
    } catch (_) { /* storage refused: the choice lasts for this page only */ }
    paint(next);
  }

  apply();
  system.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", () => {
    apply();
    document.querySelectorAll(".theme-toggle").forEach((button) => button.addEventListener("click", toggle));
  });
})();
