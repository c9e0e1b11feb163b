"""Checks of what a person types into the tool and schema editors."""
import re

from chat.validation import check_schema

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def tool_errors(tool) -> dict[str, str]:
    """Problems with one OpenAI function tool, keyed by the field they concern; empty when valid."""
    if not isinstance(tool, dict):
        return {"tool": "A tool must be a JSON object."}
    function = tool.get("function") if tool.get("type", "function") == "function" else None
    if not isinstance(function, dict):
        return {"tool": 'A tool must be {"type": "function", "function": {...}}.'}
    errors = {}
    if not isinstance(function.get("name"), str) or not FUNCTION_NAME.match(function["name"]):
        errors["name"] = "A function name is 1 to 64 letters, digits, underscores or dashes."
    if not isinstance(function.get("description", ""), str):
        errors["description"] = "The description must be text."
    parameters = function.get("parameters", {"type": "object", "properties": {}})
    problems = check_schema(parameters)
    if not problems and parameters.get("type", "object") != "object":
        problems = ['`parameters` must describe an object ("type": "object").']
    if problems:
        errors["parameters"] = "; ".join(problems)
    return errors


def tools_errors(tools) -> dict[str, str]:
    """Problems with a list of tools, keyed `tools[i].field`; duplicate names are refused."""
    if not isinstance(tools, list):
        return {"tools": "Tools must be a list."}
    errors, seen = {}, set()
    for i, tool in enumerate(tools):
        errors.update({f"tools[{i}].{field}": text for field, text in tool_errors(tool).items()})
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if name is not None and name in seen:
            errors[f"tools[{i}].name"] = f"Another tool is already named {name!r}."
        seen.add(name)
    return errors
