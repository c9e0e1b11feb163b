"""Rendering a provider request as code a person can run: curl and Python.

An adapter describes its request (`Sample`: URL, headers, query, body) built
against a placeholder key `$ENV_VAR`, so the real key is never read; these
renderers keep that placeholder a shell or environment variable.
"""
import json
import pprint
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    url: str
    headers: dict
    body: dict
    params: dict = field(default_factory=dict)
    model: str = ""

    def full_url(self) -> str:
        if not self.params:
            return self.url
        return self.url + "?" + "&".join(f"{k}={v}" for k, v in self.params.items())


def _shell_quote(text: str) -> str:
    """Double quotes, so a `$VAR` placeholder expands and nothing else does."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def curl(sample: Sample) -> str:
    lines = [f"curl -N {_shell_quote(sample.full_url())}", '  -H "Content-Type: application/json"']
    lines += [f"  -H {_shell_quote(f'{name}: {value}')}" for name, value in sample.headers.items()]
    lines.append("  -d @- <<'JSON'")
    return " \\\n".join(lines) + "\n" + json.dumps(sample.body, indent=2, ensure_ascii=False) + "\nJSON\n"


def literal(value, indent: int) -> str:
    """A Python literal of a JSON value, indented to sit at `indent`."""
    text = pprint.pformat(value, width=100 - indent, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def keyword_lines(values: dict, indent: int = 4) -> list[str]:
    pad = " " * indent
    return [f"{pad}{name}={literal(value, indent + len(name) + 1)}," for name, value in values.items()]


def _header_lines(headers: dict, env_var: str, keyed, plain) -> list[str]:
    """One line per header: `keyed(name, before, after)` where the value holds the `$env_var` placeholder,
    `plain(name, value)` elsewhere."""
    placeholder = f"${env_var}"
    lines = []
    for name, value in headers.items():
        if placeholder in value:
            before, _, after = value.partition(placeholder)
            lines.append(keyed(name, before, after))
        else:
            lines.append(plain(name, value))
    return lines


def key_headers(headers: dict, env_var: str) -> str:
    """A Python dict literal of headers, the placeholder read from the environment."""
    lines = _header_lines(
        headers, env_var,
        lambda name, before, after: f"    {name!r}: {before!r} + os.environ[{env_var!r}] + {after!r},".replace(" + ''", ""),
        lambda name, value: f"    {name!r}: {value!r},")
    return "{\n" + "\n".join(lines) + "\n}"


def httpx_python(sample: Sample, env_var: str) -> str:
    lines = ["import os", "", "import httpx", "", f"headers = {key_headers(sample.headers, env_var)}",
             f"body = {literal(sample.body, 7)}", "",
             f"with httpx.stream('POST', {sample.url!r}, headers=headers, json=body, timeout=180"
             + (f", params={sample.params!r}" if sample.params else "") + ") as response:",
             "    for line in response.iter_lines():", "        print(line)", ""]
    return "\n".join(lines)


def _js_headers(headers: dict, env_var: str) -> str:
    """A JavaScript object literal of headers, the placeholder read from process.env."""
    lines = _header_lines(
        headers, env_var,
        lambda name, before, after: f"    {json.dumps(name)}: `{before}${{process.env.{env_var}}}{after}`,",
        lambda name, value: f"    {json.dumps(name)}: {json.dumps(value)},")
    return "{\n" + "\n".join(lines) + "\n  }"


def fetch_javascript(sample: Sample, env_var: str) -> str:
    """JavaScript (Node 18+ or a browser-less runtime) with fetch, printing the stream as it comes."""
    body = json.dumps(sample.body, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    return "\n".join([
        f"const response = await fetch({json.dumps(sample.full_url())}, {{",
        '  method: "POST",',
        f"  headers: {{ \"Content-Type\": \"application/json\", ...{_js_headers(sample.headers, env_var)} }},",
        f"  body: JSON.stringify({body}),",
        "});",
        "const decoder = new TextDecoder();",
        "for await (const chunk of response.body) process.stdout.write(decoder.decode(chunk, { stream: true }));",
        "",
    ])


def openai_javascript(base_url: str, body: dict, env_var: str) -> str:
    """The official `openai` package for JavaScript/TypeScript, streaming a chat completion (a text completion
    where the body has a `prompt`)."""
    options = json.dumps(body, indent=2, ensure_ascii=False)
    text = "prompt" in body
    return "\n".join([
        'import OpenAI from "openai";', "",
        f"const client = new OpenAI({{ baseURL: {json.dumps(base_url)}, apiKey: process.env.{env_var} }});", "",
        f"const stream = await client.{'completions' if text else 'chat.completions'}.create({options});",
        "for await (const chunk of stream) {",
        f'  process.stdout.write(chunk.choices[0]?.{"text" if text else "delta?.content"} ?? "");',
        "}", "",
    ])
