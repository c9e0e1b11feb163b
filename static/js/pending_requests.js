// The requests this tab is waiting on, by request_id: {kind, content, parentId, root, images, messageId, results,
// sent, streamId (its reply, once it started), conversationId (once known)}. Send, Stop and the frame handlers
// ask it which requests and replies are ours.
let counter = 0;

export class PendingRequests extends Map {
  newId() {
    return `r${Date.now().toString(36)}-${++counter}`;
  }

  // The request a frame answers, if it is one of ours.
  mine(frame) {
    return frame.request_id && this.get(frame.request_id);
  }

  // Our replies streaming in a conversation: [request_id, pending] pairs, each stoppable.
  streams(conversationId) {
    return [...this.entries()].filter(([, p]) => p.streamId !== undefined && p.conversationId === conversationId);
  }

  // Something of ours is on its way in this conversation (or not yet placed in one).
  busy(conversationId) {
    return [...this.values()].some((p) => p.conversationId === undefined || p.conversationId === conversationId);
  }

  // A frame the server could not read is answered without a request_id: it is the oldest one not yet answered.
  unanswered() {
    const waiting = [...this.entries()].filter(([, p]) => p.conversationId === undefined && p.sent);
    return waiting.length ? waiting[0][0] : null;
  }

  // The conversation is gone: nothing of it is waited for any more.
  dropConversation(conversationId) {
    for (const [requestId, pending] of this) if (pending.conversationId === conversationId) this.delete(requestId);
  }

  // The socket closed: replies in flight are resumed by the re-watch; nothing else is waiting on it any more.
  dropUnstarted() {
    for (const [requestId, pending] of this) if (pending.streamId === undefined) this.delete(requestId);
  }
}
