"""Turning an authorized chat frame into stored messages and a generation Job.

Everything here is synchronous ORM work; the consumer runs it off the event loop.
"""
from dataclasses import dataclass, field, replace

from chat import capabilities, store
from chat.frames import Settings
from chat.generation import Job
from chat.history import branch, neutral_messages
from chat.models import Conversation, Message
from chat.requests import chat_request


@dataclass
class Turn:
    jobs: list[Job]
    conversation: dict  # id, title, visibility, owner
    created_conversation: bool = False
    messages: list[dict] = field(default_factory=list)  # summaries of the stored user/tool messages


def _job(request_id: str, conversation: Conversation, parent_id: int | None, settings: Settings) -> Job:
    """Resolve the model, check capabilities, and build the request from the branch."""
    provider, row, model_id = store.resolve_model(settings.provider, settings.model)
    caps = row.capabilities() if row else provider.capabilities()
    adapter = provider.adapter(row)
    path = branch(conversation.pk, parent_id)
    request = chat_request(settings, model_id, neutral_messages(path, settings.system))
    label = f"{provider.name} · {model_id}"
    try:
        request, fallback = capabilities.plan(request, caps, label)
    except capabilities.CapabilityError as error:
        raise store.Refused("bad_request", str(error)) from None
    fallback = fallback or adapter.structured_fallback(request)
    fmt = settings.response_format or {}
    return Job(
        request_id=request_id, conversation_id=conversation.pk, parent_id=parent_id, adapter=adapter,
        provider_slug=provider.slug, model=model_id, request=request,
        stream=capabilities.use_streaming(request, caps), fallback=fallback, tools=settings.tools,
        json_schema=(fmt.get("json_schema") or {}).get("schema"), structured=fmt.get("type") in ("json_object", "json_schema"),
        settings={**settings.as_dict(), "model": model_id}, price=row,
    )


def _describe(conversation: Conversation) -> dict:
    return {"id": conversation.pk, "title": conversation.title, "visibility": conversation.visibility,
            "owner": conversation.owner.get_username()}


def _check_ready(user, settings: Settings, conversation_id: int | None) -> Conversation | None:
    """Authorize and validate everything before anything is stored."""
    conversation = store.writable_conversation(user, conversation_id) if conversation_id is not None else None
    if conversation is not None and store.streaming_in(conversation.pk):
        raise store.Refused("bad_request", "A reply is already streaming in this conversation; stop it or wait.")
    return conversation


def _preflight(settings: Settings) -> None:
    """Refuse an unknown or disabled model, or a capability it lacks, before anything is stored."""
    provider, row, model_id = store.resolve_model(settings.provider, settings.model)
    caps = row.capabilities() if row else provider.capabilities()
    try:
        capabilities.plan(chat_request(settings, model_id, []), caps, f"{provider.name} · {model_id}")
    except capabilities.CapabilityError as error:
        raise store.Refused("bad_request", str(error)) from None


def _columns(frame: dict, settings: Settings) -> list[tuple[str, Settings]]:
    """(request_id, settings) per reply: one, or one per compared model (`request_id:N`)."""
    if not frame.get("compare"):
        return [(frame["request_id"], settings)]
    return [(f"{frame['request_id']}:{n}", replace(settings, provider=target["provider"], model=target["model"]))
            for n, target in enumerate(frame["compare"])]


def send(user, frame: dict) -> Turn:
    conversation = _check_ready(user, frame["settings"], frame["conversation_id"])
    settings = frame["settings"].merged_over(conversation.settings if conversation else {})
    columns = _columns(frame, settings)
    for _, column in columns:
        _preflight(column)
    created = conversation is None
    if created:
        conversation = store.new_conversation(user, frame["content"])
    parent_id = None if frame.get("root") else store.check_parent(conversation, frame.get("parent_id"))
    message = store.add_user_message(user, conversation, parent_id, frame["content"], settings.as_dict())
    jobs = [_job(request_id, conversation, message.pk, column) for request_id, column in columns]
    return Turn(jobs, _describe(conversation), created, [message.summary()])


def tool_results(user, frame: dict) -> Turn:
    conversation = _check_ready(user, frame["settings"], frame["conversation_id"])
    settings = frame["settings"].merged_over(conversation.settings)
    _preflight(settings)
    messages = store.add_tool_results(user, conversation, frame["results"], settings.as_dict())
    job = _job(frame["request_id"], conversation, messages[-1].pk, settings)
    return Turn([job], _describe(conversation), False, [m.summary() for m in messages])


def regenerate(user, frame: dict) -> Turn:
    conversation = _check_ready(user, frame["settings"], frame["conversation_id"])
    original = Message.objects.filter(pk=frame["message_id"], conversation=conversation).first()
    parent_id = store.regenerate_parent(conversation, frame["message_id"])
    base = {**conversation.settings, **((original.request or {}) if original else {})}
    settings = frame["settings"].merged_over(base)
    return Turn([_job(frame["request_id"], conversation, parent_id, settings)], _describe(conversation))


def watch_state(user, conversation_id: int) -> list[dict]:
    """Replies streaming in a conversation as stored (their last checkpoint)."""
    store.readable_conversation(user, conversation_id)
    rows = Message.objects.filter(conversation_id=conversation_id, status=Message.STREAMING)
    return [{"request_id": None, "message_id": m.pk, "content": m.content, "tool_calls": m.tool_calls,
             "provider": m.provider, "model": m.model} for m in rows]


def can_cancel(user, conversation_id: int) -> bool:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    return conversation is not None and conversation.can_write(user)
