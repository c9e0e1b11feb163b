// The size check a frame passes before it is sent: the server refuses frames over its limit, so the page says
// in plain words how far over a message is instead of sending it.

function amount(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  return `${(bytes / 1024).toFixed(1).replace(/\.0$/, "")} KB`;
}

// "" when `frame` fits in `limit` bytes (or no limit is known), else what to tell the person.
export function oversize(frame, limit) {
  const size = new TextEncoder().encode(JSON.stringify(frame)).length;
  if (!limit || size <= limit) return "";
  return `This is too long to send: the message with its settings is ${amount(size)}, and the server accepts at most `
    + `${amount(limit)} at once, so it is ${amount(size - limit)} over. Shorten it, or send it in parts.`;
}
