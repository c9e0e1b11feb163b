// The Embeddings page's pictures, built as SVG from numbers (texts appear only as textContent), each with a
// table of the same numbers for screen readers and anyone who wants the figures.
import { el } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function fixed(value, digits = 2) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
}

// A cell's colour: blue for similar, orange for opposite, pale near zero; its text stays readable on it.
export function shade(value) {
  const strength = Math.min(1, Math.abs(value));
  const lightness = Math.round(96 - 62 * strength);
  const hue = value >= 0 ? 222 : 24;
  return { fill: `hsl(${hue} 70% ${lightness}%)`, ink: lightness < 60 ? "#ffffff" : "#111827" };
}

function numbersTable(label, head, rows) {
  const table = el("table", "exp-table");
  const caption = el("caption", "sr-only", label);
  const thead = el("thead");
  const headRow = el("tr");
  for (const name of head) {
    const th = el("th", "", name);
    th.scope = "col";
    headRow.append(th);
  }
  thead.append(headRow);
  const tbody = el("tbody");
  for (const [name, ...cells] of rows) {
    const tr = el("tr");
    const th = el("th", "", name);
    th.scope = "row";
    tr.append(th, ...cells.map((cell) => el("td", "", cell)));
    tbody.append(tr);
  }
  table.append(caption, thead, tbody);
  const wrap = el("div", "table-wrap");
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", label);
  wrap.append(table);
  const details = el("details", "emb-numbers");
  details.append(el("summary", "", "Show the numbers"), wrap);
  return details;
}

function figure(caption, picture, table) {
  const node = el("figure", "emb-figure");
  node.append(el("figcaption", "", caption), picture, table);
  return node;
}

// The cosine-similarity matrix of one model as a heat map: row and column n are text n.
export function heatMap(run) {
  const size = run.similarity.length;
  const margin = 26;
  const cell = Math.min(60, (420 - margin) / size);
  const side = margin + size * cell;
  const every = cell >= 12 ? 1 : 5; // axis labels: all, or every fifth where the cells are small
  const picture = svg("svg", { viewBox: `0 0 ${side} ${side}`, class: "emb-heat", role: "img",
    "aria-label": `Cosine similarity of ${size} texts by ${run.label}; the numbers are in the table below.` });
  for (let i = 0; i < size; i += 1) {
    if ((i + 1) % every === 0 || i === 0) {
      picture.append(svg("text", { x: margin + i * cell + cell / 2, y: margin - 8, class: "emb-axis" }, String(i + 1)));
      picture.append(svg("text", { x: margin - 6, y: margin + i * cell + cell / 2 + 4, class: "emb-axis emb-axis-row" },
        String(i + 1)));
    }
    for (let j = 0; j < size; j += 1) {
      const value = run.similarity[i][j];
      const colour = shade(value);
      const rect = svg("rect", { x: margin + j * cell, y: margin + i * cell, width: cell - 1, height: cell - 1,
        fill: colour.fill, "data-value": fixed(value, 3) });
      rect.append(svg("title", {}, `Text ${i + 1} and text ${j + 1}: ${fixed(value, 3)}`));
      picture.append(rect);
      if (cell >= 30) {
        picture.append(svg("text", { x: margin + j * cell + cell / 2, y: margin + i * cell + cell / 2 + 4,
          fill: colour.ink, class: "emb-cell" }, fixed(value, 2).replace(/^(-?)0\./, "$1.")));
      }
    }
  }
  const head = ["Text", ...run.similarity.map((_, n) => String(n + 1))];
  const rows = run.similarity.map((row, n) => [String(n + 1), ...row.map((value) => fixed(value, 3))]);
  return figure(run.label, picture, numbersTable(`Cosine similarity by ${run.label}`, head, rows));
}

// The texts on the first two principal components, each point numbered as its text.
export function scatter(run) {
  const width = 420;
  const height = 300;
  const pad = 24;
  const points = run.projection.points;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const span = (values) => [Math.min(...values), Math.max(...values)];
  const [x0, x1] = span(xs);
  const [y0, y1] = span(ys);
  const at = (value, low, high, from, to) => (high > low ? from + ((value - low) / (high - low)) * (to - from) : (from + to) / 2);
  const [pc1, pc2] = run.projection.explained.map((share) => `${Math.round(share * 100)}%`);
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "emb-map", role: "img",
    "aria-label": `The ${points.length} texts mapped by ${run.label} (PCA: ${pc1} and ${pc2} of the variance); `
      + "the coordinates are in the table below." });
  picture.append(svg("rect", { x: 1, y: 1, width: width - 2, height: height - 2, class: "emb-frame" }));
  points.forEach(([x, y], n) => {
    const cx = at(x, x0, x1, pad, width - pad);
    const cy = at(y, y0, y1, height - pad, pad);
    const dot = svg("circle", { cx, cy, r: 5, class: "emb-dot" });
    dot.append(svg("title", {}, `Text ${n + 1}: (${fixed(x, 3)}, ${fixed(y, 3)})`));
    picture.append(dot, svg("text", { x: cx + 8, y: cy + 4, class: "emb-point" }, String(n + 1)));
  });
  const rows = points.map(([x, y], n) => [String(n + 1), fixed(x, 3), fixed(y, 3)]);
  return figure(`${run.label} · PC1 ${pc1}, PC2 ${pc2}`, picture,
    numbersTable(`Map coordinates by ${run.label}`, ["Text", "PC1", "PC2"], rows));
}
