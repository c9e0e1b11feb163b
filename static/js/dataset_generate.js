// Test cases written by a model: asked for, shown for review (each with a checkbox), and only the checked
// ones added to the dataset. The model's text is shown as text.
import { api } from "./api.js";
import { el } from "./dom.js";

const $ = (id) => document.getElementById(id);

function caseItem(row, n) {
  const item = el("li", "generated-row");
  const check = el("input");
  check.type = "checkbox";
  check.checked = true;
  check.id = `generated-${n}`;
  const label = el("label", "");
  label.htmlFor = check.id;
  label.append(el("strong", "", `Case ${n + 1}`));
  const list = el("dl", "case");
  Object.entries(row.values).forEach(([name, value]) => list.append(el("dt", "", name), el("dd", "", value)));
  list.append(el("dt", "", "expected"), el("dd", "", row.expected || "—"));
  item.append(check, label, list);
  return item;
}

export function wireGenerate(page) {
  const dialog = $("generate-dialog");
  let rows = [];

  function problem(message) {
    $("generate-error").textContent = message;
    $("generate-error").hidden = !message;
  }

  $("open-generate").addEventListener("click", () => {
    problem("");
    dialog.showModal();
    $("gen-description").focus();
  });

  $("generate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem("");
    const [provider, model] = ($("gen-model").value || "|").split("|");
    const variables = $("gen-variables").value.split(",").map((v) => v.trim()).filter(Boolean);
    $("generate-go").disabled = true;
    $("generate-go").textContent = "Generating…";
    try {
      const answer = await api("POST", `${page.url}/generate`, {
        provider, model, variables, description: $("gen-description").value, count: Number($("gen-count").value),
      });
      rows = answer.rows;
      $("generated-by").textContent = `Written by ${answer.model}. Uncheck the ones to leave out.`;
      $("generated-rows").replaceChildren(...rows.map(caseItem));
      $("generated").hidden = false;
      $("generated-rows").querySelector("input").focus();
    } catch (error) {
      problem(error.message);
    } finally {
      $("generate-go").disabled = false;
      $("generate-go").textContent = "Generate";
    }
  });

  $("generated-save").addEventListener("click", async () => {
    const kept = rows.filter((_, n) => $(`generated-${n}`).checked).map((r) => ({ ...r, tags: ["generated"] }));
    if (!kept.length) return problem("Check at least one case to add.");
    try {
      await api("POST", `${page.url}/rows`, { rows: kept });
    } catch (error) {
      return problem(error.message);
    }
    $("generated").hidden = true;
    dialog.close();
    await page.load();
  });
}
