"""Validation of client frames (protocol v1). A bad frame raises BadFrame.

`decode` turns a text frame into JSON within bounds; `parse` checks it with the
parser its type has in a table (PARSERS for /ws/chat/). Every field's type is
checked, nested ones too, so a handler only ever sees the shapes below.
"""
import json
import math
import re
from array import array
from dataclasses import dataclass, field, fields
from itertools import accumulate

from chat.errors import BadFrame
from chat.validation import check_schema
from providers.types import REASONING_EFFORTS

MAX_DEPTH = 32  # arrays and objects inside each other; a JSON Schema nested a dozen levels still fits
ID_MIN, ID_MAX = -2**63, 2**63 - 1  # the database's 64-bit ids
PARAM_TYPES = {
    "temperature": (int, float), "top_p": (int, float), "max_tokens": int, "seed": int,
    "presence_penalty": (int, float), "frequency_penalty": (int, float),
}
TOOL_CHOICES = ("auto", "none", "required")
# Reasoning controls (sent only to models with the reasoning capability): reasoning_effort, thinking_budget, think.
RESPONSE_TYPES = ("text", "json_object", "json_schema")
MODES = ("chat", "completion")  # completion: the content is a raw prompt, continued by /v1/completions
MAX_LOGPROBS = 20  # top alternatives per token (OpenAI allows 5, vLLM and llama.cpp more)

# Decoding ----------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.S)
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")  # how a NUL or a lone surrogate gets into JSON text


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON text, counted without recursion (brackets inside strings skipped)."""
    outside_strings = _STRING.sub("", text).encode(errors="surrogatepass")
    return max(accumulate(array("b", outside_strings.translate(_DEPTH_STEPS, _NOT_BRACKETS))), default=0)


def _no_constant(name: str):
    raise BadFrame(f"Numbers must be finite: {name} is not allowed.")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise BadFrame(f"The number {text[:20]} is too large.")
    return number


def _check_unicode(text: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError:
        raise BadFrame("Text must be valid Unicode: a lone surrogate (like \\ud800) is not.") from None


def _check_text(value) -> None:
    """Refuse a NUL character or a lone surrogate (e.g. \\ud800) in any string, keys included."""
    if isinstance(value, str):
        _check_unicode(value)
        if "\x00" in value:
            raise BadFrame("Text must not contain NUL characters (\\u0000).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def decode(text: str):
    """The JSON value of a client's text: nested at most MAX_DEPTH deep, finite numbers, storable text."""
    _check_unicode(text)  # a websocket's text is UTF-8; a str handed over in-process may not be
    if nesting_depth(text) > MAX_DEPTH:  # checked first: json.loads recurses once per level
        raise BadFrame(f"The frame nests arrays and objects more than {MAX_DEPTH} deep.")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except BadFrame:
        raise
    except ValueError:
        raise BadFrame("The frame is not valid JSON.") from None
    if _SUSPECT_ESCAPE.search(text):
        _check_text(value)
    return value


# Field types -------------------------------------------------------------------------


def _wrong(name: str, expected: str):
    return BadFrame(f"`{name}` must be {expected}.")


def _text(raw, name: str) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise _wrong(name, "text")
    return raw


def _flag(raw, name: str) -> bool | None:
    if raw is not None and not isinstance(raw, bool):
        raise _wrong(name, "true or false")
    return raw


def identifier(raw, name: str) -> int | None:
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int) or not ID_MIN <= raw <= ID_MAX):
        raise _wrong(name, "an id (a whole number)")
    return raw


def check_field(frame: dict, name: str, kind, required: bool = False, nullable: bool = True):
    """A top-level field checked by `kind`; `required` means present, `nullable` that null is allowed."""
    if required and name not in frame:
        raise BadFrame(f"`{frame['type']}` needs `{name}`.")
    if frame.get(name) is None and not nullable:
        raise BadFrame(f"`{name}` must not be null.")
    return kind(frame.get(name), name)


# Settings ----------------------------------------------------------------------------


def _params(raw, name: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _wrong(name, "an object")
    params = {}
    for key, value in raw.items():
        if value is None or value == "" or value == []:
            continue
        if key == "stop":
            stops = [value] if isinstance(value, str) else value
            if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops) or len(stops) > 4:
                raise BadFrame("`params.stop` must be a string or a list of up to 4 strings.")
            params["stop"] = stops
        elif key in PARAM_TYPES:
            if isinstance(value, bool) or not isinstance(value, PARAM_TYPES[key]):
                raise BadFrame(f"`params.{key}` must be a number.")
            params[key] = value
        elif key == "reasoning_effort":
            if value not in REASONING_EFFORTS:
                raise BadFrame(f"`params.reasoning_effort` must be one of {', '.join(REASONING_EFFORTS)}.")
            params[key] = value
        elif key == "thinking_budget":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
                raise BadFrame("`params.thinking_budget` must be a whole number of tokens (0 turns thinking off).")
            params[key] = value
        elif key in ("think", "echo"):
            if not isinstance(value, bool):
                raise BadFrame(f"`params.{key}` must be true or false.")
            params[key] = value
        elif key == "logprobs":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LOGPROBS:
                raise BadFrame(f"`params.logprobs` must be a whole number of alternatives from 0 to {MAX_LOGPROBS}.")
            params[key] = value
        else:
            raise BadFrame(f"Unknown parameter `{key[:60]}`.")
    return params


def _schema(raw, what: str) -> None:
    problems = check_schema(raw)
    if problems:
        raise BadFrame(f"{what} is not a valid JSON Schema: {problems[0]}")


def _tool(tool) -> None:
    shape = "Each tool must be {type: function, function: {name, description, parameters}}."
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) \
            or not isinstance(function.get("description") or "", str):
        raise BadFrame(shape)
    if function.get("parameters") is not None:
        _schema(function["parameters"], f"The parameters of the tool {function['name'][:60]!r}")


def _tools(raw, name: str) -> list:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _wrong(name, "a list of function tools")
    for tool in raw:
        _tool(tool)
    return raw


def _mcp_servers(raw, name: str) -> list:
    """Extension: the slugs of the MCP servers whose tools the conversation offers the model (docs/mcp.md)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 20 or not all(isinstance(s, str) and 0 < len(s) <= 24 for s in raw):
        raise _wrong(name, "a list of up to 20 MCP server slugs")
    return list(dict.fromkeys(raw))


def _tool_choice(raw, name: str):
    if raw is None or isinstance(raw, str) and raw in TOOL_CHOICES:
        return raw
    function = raw.get("function") if isinstance(raw, dict) else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return {"type": "function", "function": {"name": function["name"]}}
    raise BadFrame(f"`{name}` must be auto, none, required, or {{type: function, function: {{name}}}}.")


def _response_format(raw, name: str):
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str) or raw["type"] not in RESPONSE_TYPES:
        raise BadFrame(f"`{name}.type` must be text, json_object or json_schema.")
    if raw["type"] == "json_schema":
        spec = raw.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise BadFrame(f"`{name}.json_schema.schema` must be a JSON Schema object.")
        _text(spec.get("name"), f"{name}.json_schema.name")
        _flag(spec.get("strict"), f"{name}.json_schema.strict")
        _schema(spec["schema"], "The response schema")
    return raw


def _mode(raw, name: str) -> str | None:
    if raw is not None and raw not in MODES:
        raise BadFrame(f"`{name}` must be chat or completion.")
    return raw


def _setting(parse, **default):
    """A Settings field and the parser that reads it from a frame."""
    return field(metadata={"parse": parse}, **(default or {"default": None}))


@dataclass
class Settings:
    """The generation settings a chat frame may carry (all optional); its fields are the setting names."""

    provider: str | None = _setting(_text)
    model: str | None = _setting(_text)
    system: str | None = _setting(_text)
    params: dict = _setting(_params, default_factory=dict)
    tools: list = _setting(_tools, default_factory=list)
    tool_choice: object = _setting(_tool_choice)
    parallel_tool_calls: bool | None = _setting(_flag)
    response_format: dict | None = _setting(_response_format)
    mcp_servers: list = _setting(_mcp_servers, default_factory=list)
    mode: str | None = _setting(_mode)  # None or "chat": a chat; "completion": the content is a raw prompt
    sent: frozenset = frozenset()  # the names a frame carried: an empty value sent on purpose clears

    def as_dict(self) -> dict:
        data = {name: getattr(self, name) for name in SETTING_NAMES}
        return {k: v for k, v in data.items() if v not in (None, [], {}) or k in self.sent}

    def merged_over(self, previous: dict) -> "Settings":
        """These settings, falling back to `previous` (a stored as_dict()) where the frame said nothing."""
        data, blank = {**previous, **self.as_dict()}, Settings()
        return Settings(**{k: data.get(k, getattr(blank, k)) for k in SETTING_NAMES})

    @property
    def completion(self) -> bool:
        return self.mode == "completion"


SETTING_FIELDS = tuple(f for f in fields(Settings) if "parse" in f.metadata)
SETTING_NAMES = tuple(f.name for f in SETTING_FIELDS)


def settings_from(frame: dict) -> Settings:
    return Settings(sent=frozenset(name for name in SETTING_NAMES if name in frame),
                    **{f.name: f.metadata["parse"](frame.get(f.name), f.name) for f in SETTING_FIELDS})


# Frame parsers -----------------------------------------------------------------------


def _compare(raw, name: str):
    """Extension: `compare`, 2 to 4 {provider, model} pairs answering the same message side by side."""
    if raw is not None and (not isinstance(raw, list) or not 2 <= len(raw) <= 4 or not all(
        isinstance(t, dict) and isinstance(t.get("provider"), str) and isinstance(t.get("model"), str) for t in raw
    )):
        raise BadFrame(f"`{name}` must list 2 to 4 {{provider, model}} pairs.")
    return raw


RUNS = ("mcp", "deny")  # extension: the server runs an MCP tool call, or answers that the user denied it


def _result(r) -> bool:
    if not isinstance(r, dict) or not isinstance(r.get("tool_call_id"), str):
        return False
    return r.get("run") in RUNS if "run" in r else isinstance(r.get("content"), str)


def _results(raw, name: str) -> list:
    if not isinstance(raw, list) or not raw or not all(map(_result, raw)):
        raise BadFrame(f"`{name}` must be a list of {{tool_call_id, content}} strings or {{tool_call_id, run: mcp|deny}}.")
    return raw


MAX_IMAGES = 10  # images attached to one message


def image_ids(raw, name: str) -> list[int]:
    """Extension: the ids of uploaded images (POST /api/images) a `chat.send` (or an experiment) attaches."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_IMAGES or len(set(map(str, raw))) != len(raw):
        raise BadFrame(f"`{name}` must list up to {MAX_IMAGES} different image ids.")
    for item in raw:
        identifier(item, name)
        if item is None:
            raise _wrong(name, "a list of image ids")
    return raw


def _request(frame: dict) -> None:
    check_field(frame, "request_id", _text, required=True, nullable=False)


def _visibility(raw, name: str) -> str | None:
    """Extension: who sees the conversation a `chat.send` starts."""
    if raw is not None and raw not in ("private", "team"):
        raise BadFrame(f"`{name}` must be private or team.")
    return raw


def _send(frame: dict) -> dict:
    _request(frame)
    check_field(frame, "conversation_id", identifier, required=True)
    check_field(frame, "content", _text, required=True, nullable=False)
    check_field(frame, "parent_id", identifier)
    check_field(frame, "root", _flag)  # extension: a new root message (editing the first one)
    check_field(frame, "compare", _compare)
    check_field(frame, "visibility", _visibility)
    frame["images"] = check_field(frame, "images", image_ids)
    frame["settings"] = settings_from(frame)
    return frame


def _tool_result(frame: dict) -> dict:
    _request(frame)
    check_field(frame, "conversation_id", identifier, required=True, nullable=False)
    check_field(frame, "parent_id", identifier)  # extension: the assistant message answered, on any branch
    check_field(frame, "results", _results, required=True)
    frame["settings"] = settings_from(frame)
    return frame


def _regenerate(frame: dict) -> dict:
    _request(frame)
    check_field(frame, "conversation_id", identifier, required=True, nullable=False)
    check_field(frame, "message_id", identifier, required=True, nullable=False)
    frame["settings"] = settings_from(frame)
    return frame


def _cancel(frame: dict) -> dict:
    _request(frame)
    check_field(frame, "conversation_id", identifier)  # extension: reach a reply running in another process
    return frame


def _conversation(frame: dict) -> dict:
    check_field(frame, "conversation_id", identifier, required=True, nullable=False)
    return frame


PARSERS = {
    "chat.send": _send,
    "chat.tool_result": _tool_result,
    "chat.regenerate": _regenerate,
    "chat.cancel": _cancel,
    "conversation.watch": _conversation,
    "conversation.unwatch": _conversation,
}
CLIENT_TYPES = frozenset(PARSERS)


def request_id_of(frame) -> str | None:
    """The frame's request id where it has a usable one (for the error frame answering it)."""
    request_id = frame.get("request_id") if isinstance(frame, dict) else None
    return request_id if isinstance(request_id, str) else None


def parse(frame, parsers: dict = PARSERS) -> dict:
    """Check a decoded frame with its type's parser; a chat frame comes back with `settings` parsed."""
    if not isinstance(frame, dict):
        raise BadFrame("A frame must be a JSON object.")
    kind = frame.get("type")
    if not isinstance(kind, str) or kind not in parsers:
        raise BadFrame(f"Unknown frame type {repr(kind)[:60]}; this socket takes {', '.join(parsers)}.")
    return parsers[kind](frame)
