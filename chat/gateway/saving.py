"""Saving a gateway request as a private conversation of its user (PLAYGROUND_GATEWAY_SAVE_CONVERSATIONS).

The conversation is marked as from the API twice: its title starts with `API · `
and its gateway request row points at it.
"""
from chat.models import Conversation, Message
from chat.rendering import render_markdown
from providers.streaming import call_dict

TITLE_PREFIX = "API · "


def save_conversation(user, messages: list, plan, verdict: dict) -> Conversation:
    """The request's messages and the reply, chained as one branch (call inside a transaction)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    first = next((m.content for m in messages if m.role == "user"), "") or "request"
    conversation = Conversation.objects.create(
        owner=user, title=f"{TITLE_PREFIX}{first[:70]}", visibility=Conversation.PRIVATE,
        settings={**plan.settings, **({"system": system} if system else {})})
    parent = None
    for m in messages:
        if m.role == "system":
            continue
        parent = Message.objects.create(
            conversation=conversation, parent=parent, role=m.role, content=m.content, html=render_markdown(m.content),
            tool_calls=[call_dict(c) for c in m.tool_calls], tool_call_id=m.tool_call_id or "", name=m.name or "",
            author=user if m.role == "user" else None)
    Message.objects.create(
        conversation=conversation, parent=parent, role=Message.ASSISTANT, content=verdict["content"],
        html=render_markdown(verdict["content"]), reasoning=verdict["reasoning"], tool_calls=verdict["tool_calls"],
        usage=verdict["usage"], metrics=verdict["metrics"], cost=verdict["cost"],
        finish_reason=verdict["finish_reason"], provider=plan.provider_slug, model=plan.model, request=plan.settings,
        fallback=plan.fallback or "", status=Message.COMPLETE)
    return conversation
