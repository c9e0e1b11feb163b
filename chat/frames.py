"""Validation of client frames (protocol v1). A bad frame raises BadFrame."""
from dataclasses import dataclass, field

from chat.errors import BadFrame

PARAM_TYPES = {
    "temperature": (int, float), "top_p": (int, float), "max_tokens": int, "seed": int,
    "presence_penalty": (int, float), "frequency_penalty": (int, float),
}
CLIENT_TYPES = {"chat.send", "chat.tool_result", "chat.regenerate", "chat.cancel", "conversation.watch",
                "conversation.unwatch"}


@dataclass
class Settings:
    """The generation settings a chat frame may carry (all optional)."""

    provider: str | None = None
    model: str | None = None
    system: str | None = None
    params: dict = field(default_factory=dict)
    tools: list = field(default_factory=list)
    tool_choice: object = None
    parallel_tool_calls: bool | None = None
    response_format: dict | None = None
    sent: frozenset = frozenset()  # the names a frame carried: an empty value sent on purpose clears

    def as_dict(self) -> dict:
        data = {"provider": self.provider, "model": self.model, "system": self.system, "params": self.params,
                "tools": self.tools, "tool_choice": self.tool_choice,
                "parallel_tool_calls": self.parallel_tool_calls, "response_format": self.response_format}
        return {k: v for k, v in data.items() if v not in (None, [], {}) or k in self.sent}

    def merged_over(self, previous: dict) -> "Settings":
        """These settings, falling back to `previous` (a stored as_dict()) where the frame said nothing."""
        data = {**previous, **self.as_dict()}
        return Settings(**{k: data.get(k, getattr(Settings(), k)) for k in SETTING_NAMES})


def _require(frame: dict, name: str, kind, nullable: bool = False):
    if name not in frame:
        raise BadFrame(f"`{frame.get('type')}` needs `{name}`.")
    value = frame[name]
    if value is None and nullable:
        return None
    if isinstance(value, bool) and kind is int or not isinstance(value, kind):
        raise BadFrame(f"`{name}` has the wrong type.")
    return value


def _optional(frame: dict, name: str, kind):
    value = frame.get(name)
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise BadFrame(f"`{name}` has the wrong type.")
    return value


def _params(raw) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadFrame("`params` must be an object.")
    params = {}
    for name, value in raw.items():
        if value is None or value == "" or value == []:
            continue
        if name == "stop":
            stops = [value] if isinstance(value, str) else value
            if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops) or len(stops) > 4:
                raise BadFrame("`params.stop` must be a string or a list of up to 4 strings.")
            params["stop"] = stops
        elif name in PARAM_TYPES:
            if isinstance(value, bool) or not isinstance(value, PARAM_TYPES[name]):
                raise BadFrame(f"`params.{name}` must be a number.")
            params[name] = value
        else:
            raise BadFrame(f"Unknown parameter `{name}`.")
    return params


def _tool_choice(raw):
    if raw is None or raw in ("auto", "none", "required"):
        return raw
    if isinstance(raw, dict) and isinstance((raw.get("function") or {}).get("name"), str):
        return {"type": "function", "function": {"name": raw["function"]["name"]}}
    raise BadFrame("`tool_choice` must be auto, none, required, or {type: function, function: {name}}.")


def _response_format(raw):
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("type") not in ("text", "json_object", "json_schema"):
        raise BadFrame("`response_format.type` must be text, json_object or json_schema.")
    if raw["type"] == "json_schema" and not isinstance((raw.get("json_schema") or {}).get("schema"), dict):
        raise BadFrame("`response_format.json_schema.schema` must be a JSON Schema object.")
    return raw


def _tools(raw) -> list:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadFrame("`tools` must be a list of function tools.")
    for tool in raw:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise BadFrame("Each tool must be {type: function, function: {name, description, parameters}}.")
    return raw


SETTING_NAMES = ("provider", "model", "system", "params", "tools", "tool_choice", "parallel_tool_calls",
                 "response_format")


def settings_from(frame: dict) -> Settings:
    return Settings(
        sent=frozenset(name for name in SETTING_NAMES if name in frame),
        provider=_optional(frame, "provider", str), model=_optional(frame, "model", str),
        system=_optional(frame, "system", str), params=_params(frame.get("params")),
        tools=_tools(frame.get("tools")), tool_choice=_tool_choice(frame.get("tool_choice")),
        parallel_tool_calls=_optional(frame, "parallel_tool_calls", bool),
        response_format=_response_format(frame.get("response_format")),
    )


def _compare(frame: dict) -> None:
    """Extension: `compare`, 2 to 4 {provider, model} pairs answering the same message side by side."""
    targets = frame.get("compare")
    if targets is None:
        return
    if not isinstance(targets, list) or not 2 <= len(targets) <= 4 or not all(
        isinstance(t, dict) and isinstance(t.get("provider"), str) and isinstance(t.get("model"), str) for t in targets
    ):
        raise BadFrame("`compare` must list 2 to 4 {provider, model} pairs.")


def parse(frame) -> dict:
    """Check a decoded frame's shape; returns it with settings parsed under `settings`."""
    if not isinstance(frame, dict):
        raise BadFrame("A frame must be a JSON object.")
    kind = frame.get("type")
    if kind not in CLIENT_TYPES:
        raise BadFrame(f"Unknown frame type {kind!r}.")
    if kind.startswith("chat."):
        _require(frame, "request_id", str)
    if kind == "chat.send":
        _require(frame, "conversation_id", int, nullable=True)
        _require(frame, "content", str)
        _optional(frame, "parent_id", int)
        _optional(frame, "root", bool)  # extension: a new root message (editing the first one)
        _compare(frame)
        if frame.get("visibility") not in (None, "private", "team"):  # extension: of a new conversation
            raise BadFrame("`visibility` must be private or team.")
    elif kind == "chat.tool_result":
        _require(frame, "conversation_id", int)
        _optional(frame, "parent_id", int)  # extension: the assistant message answered, on any branch
        results = _require(frame, "results", list)
        if not results or not all(isinstance(r, dict) and isinstance(r.get("tool_call_id"), str)
                                  and isinstance(r.get("content"), str) for r in results):
            raise BadFrame("`results` must be a list of {tool_call_id, content} strings.")
    elif kind == "chat.regenerate":
        _require(frame, "conversation_id", int)
        _require(frame, "message_id", int)
    elif kind == "chat.cancel":
        _optional(frame, "conversation_id", int)  # extension: reach a reply running in another process
    elif kind.startswith("conversation."):
        _require(frame, "conversation_id", int)
    if kind in ("chat.send", "chat.tool_result", "chat.regenerate"):
        frame["settings"] = settings_from(frame)
    return frame
