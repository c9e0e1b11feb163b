"""From a frame's settings to a neutral ChatRequest."""
from chat.frames import Settings
from providers import types


def _params(raw: dict) -> types.Params:
    values = {k: v for k, v in raw.items() if k != "stop"}
    return types.Params(stop=tuple(raw.get("stop") or ()), **values)


def _tools(raw: list) -> tuple[types.Tool, ...]:
    tools = []
    for tool in raw:
        function = tool["function"]
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        tools.append(types.Tool(function["name"], function.get("description") or "", parameters))
    return tuple(tools)


def _tool_choice(raw) -> types.ToolChoice | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        return types.ToolChoice("function", raw["function"]["name"])
    return types.ToolChoice(raw)


def response_format(raw: dict | None) -> types.ResponseFormat | None:
    if not raw or raw.get("type") == "text":
        return None
    if raw["type"] == "json_object":
        return types.ResponseFormat("json_object")
    spec = raw.get("json_schema") or {}
    return types.ResponseFormat("json_schema", name=spec.get("name") or "response", schema=spec.get("schema"),
                                strict=bool(spec.get("strict")))


def chat_request(settings: Settings, model: str, messages: list[types.Message]) -> types.ChatRequest:
    tools = _tools(settings.tools)
    return types.ChatRequest(
        model=model, messages=messages, params=_params(settings.params), tools=tools,
        tool_choice=_tool_choice(settings.tool_choice) if tools else None,
        parallel_tool_calls=settings.parallel_tool_calls if tools else None,
        response_format=response_format(settings.response_format),
    )
