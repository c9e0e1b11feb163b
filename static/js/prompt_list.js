// The prompts list page: "New prompt" makes the prompt and its v1, then opens its page.
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);

$("new-prompt").addEventListener("submit", async (event) => {
  event.preventDefault();
  const messages = [];
  if ($("new-system").value.trim()) messages.push({ role: "system", content: $("new-system").value });
  messages.push({ role: "user", content: $("new-user").value });
  try {
    const made = await api("POST", "/api/prompts", { name: $("new-name").value, visibility: $("new-visibility").value,
      messages, note: "First version" });
    window.location.assign(made.prompt.url);
  } catch (error) {
    $("new-error").textContent = error.message;
  }
});
