// Human review: a dialog to rate a chat reply or a run output (thumbs, a 1–5 score, a comment), one
// rating per reviewer, editable. Other modules add sections to the same dialog (message_review.js).
import { api } from "./api.js";
import { button, el } from "./dom.js";

let dialog = null;

function tallyText(data) {
  const parts = [];
  if (data.up || data.down) parts.push(`${data.up} 👍 · ${data.down} 👎`);
  if (data.mean_score !== null) parts.push(`mean score ${data.mean_score}`);
  const count = data.all.length;
  parts.push(count ? `${count} reviewer${count === 1 ? "" : "s"}` : "not rated yet");
  return parts.join(" · ");
}

export function note(node, text, kind = "ok") {
  node.textContent = text;
  node.dataset.kind = kind;
}

function thumb(icon, label) {
  const node = button("", "ghost small");
  node.setAttribute("aria-pressed", "false");
  const picture = el("span", "", icon);
  picture.setAttribute("aria-hidden", "true");
  node.append(picture, ` ${label}`);
  return node;
}

function build() {
  const node = el("dialog", "review-dialog");
  node.setAttribute("aria-labelledby", "review-title");
  const head = el("header");
  const title = el("h2", "", "Review");
  title.id = "review-title";
  const close = button("Close");
  close.addEventListener("click", () => node.close());
  head.append(title, close);

  const rating = el("fieldset", "rating-part");
  rating.append(el("legend", "", "Your rating"));
  const thumbs = el("div", "thumbs");
  thumbs.setAttribute("role", "group");
  thumbs.setAttribute("aria-label", "Thumbs");
  const up = thumb("👍", "Thumbs up");
  const down = thumb("👎", "Thumbs down");
  [up, down].forEach((b) => b.addEventListener("click", () => {
    const on = b.getAttribute("aria-pressed") !== "true";
    [up, down].forEach((o) => o.setAttribute("aria-pressed", "false"));
    b.setAttribute("aria-pressed", String(on));
  }));
  thumbs.append(up, down);
  const scoreLabel = el("label", "", "Score");
  scoreLabel.htmlFor = "review-score";
  const score = el("select");
  score.id = "review-score";
  ["", "1", "2", "3", "4", "5"].forEach((v) => {
    const option = el("option", "", v ? `${v} of 5` : "No score");
    option.value = v;
    score.append(option);
  });
  const commentLabel = el("label", "", "Comment");
  commentLabel.htmlFor = "review-comment";
  const comment = el("textarea");
  comment.id = "review-comment";
  comment.rows = 3;
  const actions = el("div", "form-actions");
  const save = button("Save rating", "primary small");
  const remove = button("Remove my rating", "ghost small danger");
  actions.append(save, remove);
  const tally = el("p", "review-tally");
  const status = el("p", "review-note");
  status.setAttribute("role", "status");
  rating.append(thumbs, scoreLabel, score, commentLabel, comment, actions, tally, status);
  node.append(head, rating);
  document.body.append(node);
  return { node, title, rating, up, down, score, comment, save, remove, tally, status, target: null };
}

function show(parts, data) {
  const mine = data.mine || {};
  parts.up.setAttribute("aria-pressed", String(mine.thumbs === true));
  parts.down.setAttribute("aria-pressed", String(mine.thumbs === false));
  parts.score.value = mine.score ? String(mine.score) : "";
  parts.comment.value = mine.comment || "";
  parts.remove.hidden = !data.mine;
  parts.tally.textContent = tallyText(data);
}

function wire(parts) {
  parts.save.addEventListener("click", async () => {
    const pressed = [parts.up, parts.down].find((b) => b.getAttribute("aria-pressed") === "true");
    const body = { thumbs: pressed ? pressed === parts.up : null, score: parts.score.value ? Number(parts.score.value) : null,
      comment: parts.comment.value };
    try {
      show(parts, await api("PUT", parts.target.url, body));
      note(parts.status, "Rating saved.");
      if (parts.target.onRated) parts.target.onRated();
    } catch (problem) {
      note(parts.status, problem.message, "bad");
    }
  });
  parts.remove.addEventListener("click", async () => {
    try {
      show(parts, await api("DELETE", parts.target.url));
      note(parts.status, "Rating removed.");
    } catch (problem) {
      note(parts.status, problem.message, "bad");
    }
  });
}

// The shared dialog (built once); message_review.js appends its dataset section to `node`.
export function reviewDialog() {
  if (!dialog) {
    dialog = build();
    wire(dialog);
  }
  return dialog;
}

// Opens the dialog for `kind` ("message" or "run") `id`; `rate` false hides the rating part (user messages).
export async function openReview({ kind, id, title, rate = true, onRated = null }) {
  const parts = reviewDialog();
  parts.target = { kind, id, url: `/api/ratings/${kind}/${id}`, onRated };
  parts.title.textContent = title;
  parts.rating.hidden = !rate;
  note(parts.status, "");
  parts.node.showModal();
  if (!rate) return parts;
  // Locked until the stored rating is shown: a thumb pressed before would be silently overwritten by it.
  parts.rating.disabled = true;
  try {
    show(parts, await api("GET", parts.target.url));
  } catch (problem) {
    note(parts.status, problem.message, "bad");
  } finally {
    parts.rating.disabled = false;
    parts.up.focus();
  }
  return parts;
}

// A "Rate" button for a run output card (static/js/experiments.js).
export function rateButton(runId) {
  const node = button("Rate", "ghost small");
  node.setAttribute("aria-label", `Rate run ${runId}`);
  node.addEventListener("click", () => openReview({ kind: "run", id: runId, title: "Rate this output" }));
  const wrap = el("div", "rating-inline");
  wrap.append(node);
  return wrap;
}
