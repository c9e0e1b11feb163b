// Who sees a new conversation, chosen before its first message, and the user's own default for that choice.
//
// The composer's button shows the choice ("Visible to the team" / "Only you") and changes it in one click; the
// first chat.send carries it as `visibility`. Its starting value is the user's effective default
// (GET /api/preferences), which the header menu's "New conversations" select changes (PATCH /api/preferences).
import { api } from "./api.js";

const LABELS = { team: "Visible to the team", private: "Only you" };

export class VisibilityChoice {
  constructor(button, defaultSelect, { onError }) {
    this.button = button;
    this.defaultSelect = defaultSelect;
    this.onError = onError;
    this.default = null; // unknown until the preferences arrive: the server's default applies
    this.value = null;
    button.addEventListener("click", () => this.set(this.value === "private" ? "team" : "private"));
    defaultSelect.addEventListener("change", () => this.saveDefault(defaultSelect.value));
    this.render();
  }

  async load() {
    try {
      this.remember(await api("GET", "/api/preferences"));
    } catch (error) {
      this.onError(error.message);
    }
  }

  remember(preferences) {
    const untouched = this.value === this.default;
    this.default = preferences.effective_visibility;
    this.defaultSelect.value = this.default;
    if (untouched) this.set(this.default); // a choice already made for this conversation stays
  }

  async saveDefault(value) {
    try {
      this.remember(await api("PATCH", "/api/preferences", { default_visibility: value }));
    } catch (error) {
      this.onError(error.message);
      this.defaultSelect.value = this.default;
    }
  }

  set(value) {
    this.value = value;
    this.render();
  }

  render() {
    this.button.textContent = LABELS[this.value] || "Visibility: the site's default";
    this.button.dataset.visibility = this.value || "";
  }

  // Shown for a conversation not started yet, back at the default each time a new one begins.
  showFor(conversation) {
    this.button.hidden = Boolean(conversation);
    if (!conversation) this.set(this.default);
  }

  // The field of the first chat.send (none once the conversation exists, or before the default is known).
  values(isNew) {
    return isNew && this.value ? { visibility: this.value } : {};
  }
}
