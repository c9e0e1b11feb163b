// The playground's keyboard shortcuts: Alt+Shift+<letter> anywhere (also while typing), "?" outside text fields.
// Listed for people in the "Keyboard shortcuts" dialog of templates/chat/playground.html.
const KEYS = { KeyN: "new", KeyI: "composer", KeyB: "sidebar", KeyS: "settings", KeyR: "regenerate", KeyC: "copy" };

function typing(target) {
  return Boolean(target.closest && target.closest("input, textarea, select, [contenteditable]"));
}

// actions: {new, composer, sidebar, settings, regenerate, copy, help}, each a function.
export function bindShortcuts(actions) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing || document.querySelector("dialog[open]")) return;
    // event.code, not event.key: Alt+Shift+N types another character on some keyboards (macOS).
    if (event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey && KEYS[event.code]) {
      event.preventDefault();
      actions[KEYS[event.code]]();
    } else if (event.key === "?" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      event.preventDefault();
      actions.help();
    }
  });
}
