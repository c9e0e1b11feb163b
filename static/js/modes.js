// Playground modes (Chat, Completion, …): a small registry, so a new mode is added by registering it, not by
// editing the page. A mode says how it is labelled, what the composer asks for, what it adds to a frame, and
// (optionally) how its messages' bodies are drawn. Parts of the page marked `data-modes="a b"` show only in
// those modes (the completion settings, the chat-only ones).
const modes = new Map();

// name: the `mode` sent on chat.send and stored on messages. spec: {label, composerLabel, placeholder,
// frame(values) -> values (what this mode sends), apply(settings) (a conversation's stored settings),
// body(message, context) -> Node | null (a message's body; context.prompt is its parent's text),
// sendLabel() (what Send says), blockReason({model, attached}) -> why Send is off or "",
// submit(request, hooks) -> Promise (a mode that does not go over the socket: it stores over HTTP)}.
export function registerMode(name, spec) {
  modes.set(name, {
    name, frame: (values) => values, apply: () => {}, body: null, sendLabel: () => "Send", blockReason: () => "", submit: null,
    ...spec,
  });
}

export function modeOf(name) {
  return modes.get(name || "chat") || modes.get("chat");
}

// The body a message's mode draws, or null for the usual one.
export function modeBody(message, context) {
  const mode = modes.get(message.mode || "chat");
  return mode && mode.body ? mode.body(message, context) : null;
}

registerMode("chat", {
  label: "Chat", composerLabel: "Message",
  placeholder: "Send a message (Enter to send, Shift+Enter for a new line, Escape to stop)",
  frame: (values) => ({ ...values, mode: "chat" }),
});

// The switch: a radio group built from the registry (an arrow key moves between modes, as radios do).
export class ModeSwitch {
  constructor(root, { composer, onChange }) {
    this.root = root;
    this.composer = composer;
    this.onChange = onChange;
    this.current = "chat";
    this.build();
    // A mode's own options (its `data-modes` parts) can change what Send says or allows.
    document.addEventListener("change", (event) => {
      if (event.target.closest("[data-modes]") && this.onChange) this.onChange(this.current, { user: false });
    });
  }

  build() {
    const legend = document.createElement("legend");
    legend.className = "sr-only";
    legend.textContent = "Mode";
    this.root.replaceChildren(legend);
    for (const mode of modes.values()) {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "playground-mode";
      input.value = mode.name;
      input.checked = mode.name === this.current;
      input.addEventListener("change", () => { if (input.checked) this.set(mode.name, { user: true }); });
      label.append(input, ` ${mode.label}`);
      this.root.append(label);
    }
  }

  set(name, { user = false } = {}) {
    this.current = modes.has(name) ? name : "chat";
    const mode = modeOf(this.current);
    this.root.querySelectorAll("input").forEach((input) => { input.checked = input.value === this.current; });
    document.querySelectorAll("[data-modes]").forEach((node) => {
      node.hidden = !node.dataset.modes.split(" ").includes(this.current);
    });
    document.body.dataset.mode = this.current;
    if (this.composer) {
      this.composer.placeholder = mode.placeholder;
      this.composer.setAttribute("aria-label", mode.composerLabel);
    }
    if (this.onChange) this.onChange(this.current, { user });
  }

  // A conversation reopens in the mode of the last message on screen.
  follow(path) {
    const last = path[path.length - 1];
    if (last && last.mode) this.set(last.mode);
  }

  get mode() {
    return modeOf(this.current);
  }

  // What the current mode sends with a frame (the settings panel's values in, the frame's fields out).
  frame(values) {
    return modeOf(this.current).frame(values);
  }

  // A conversation's stored settings: its mode, and that mode's own settings.
  apply(settings) {
    this.set((settings && settings.mode) || "chat");
    modeOf(this.current).apply(settings || {});
  }
}
