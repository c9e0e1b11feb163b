// Small DOM builders shared by the page modules. Text always goes in as textContent.
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label, className = "ghost small") {
  const node = el("button", className, label);
  node.type = "button";
  return node;
}
