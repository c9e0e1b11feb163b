// The datasets page: the "New dataset" form (the list itself is rendered by the server).
import { api } from "./api.js";

const form = document.getElementById("dataset-form");
const error = document.getElementById("form-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const columns = form.columns.value.split(",").map((c) => c.trim()).filter(Boolean);
  try {
    const made = await api("POST", "/api/datasets", {
      name: form.name.value, description: form.description.value, visibility: form.visibility.value, columns,
    });
    window.location.assign(`/datasets/${made.id}/`);
  } catch (problem) {
    error.textContent = problem.message;
    error.hidden = false;
    form.name.focus();
  }
});
