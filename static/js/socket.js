// One websocket to /ws/chat/, reconnected with backoff; handlers by frame type.
const MIN_DELAY = 500;
const MAX_DELAY = 10000;

export class ChatSocket {
  constructor(url) {
    this.url = url;
    this.handlers = new Map();
    this.queue = [];
    this.delay = MIN_DELAY;
    this.onopen = null;
    this.onstate = null;
    this.connect();
  }

  get isOpen() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    this.setState("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.delay = MIN_DELAY;
      this.setState("online");
      if (this.onopen) this.onopen();
      const queued = this.queue;
      this.queue = [];
      queued.forEach((text) => ws.send(text));
    });
    ws.addEventListener("message", (event) => this.dispatch(event.data));
    ws.addEventListener("close", (event) => {
      this.setState("offline");
      if (event.code === 4401) {
        window.location.assign("/accounts/login/");
        return;
      }
      const wait = this.delay * (0.75 + Math.random() / 2);
      this.delay = Math.min(this.delay * 2, MAX_DELAY);
      setTimeout(() => this.connect(), wait);
    });
  }

  dispatch(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (_) {
      return;
    }
    for (const key of [frame.type, "*"]) {
      (this.handlers.get(key) || []).forEach((handler) => handler(frame));
    }
  }

  setState(state) {
    if (this.onstate) this.onstate(state);
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
  }

  // Frames sent while closed wait for the next connection, unless `queue` is false.
  send(frame, { queue = true } = {}) {
    const text = JSON.stringify(frame);
    if (this.isOpen) this.ws.send(text);
    else if (queue) this.queue.push(text);
  }
}
