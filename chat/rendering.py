"""Markdown to sanitized HTML. Model output is untrusted: everything passes nh3."""
from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol",
    "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "s", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "div": {"class", "data-lang"}, "code": {"class"},
                      "pre": {"class", "data-lang"}, "td": {"style"}, "th": {"style"}}
_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, attrs) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        lexer = None
    body = highlight(code, lexer, _FORMATTER) if lexer else None
    if body is None:
        body = escape(code)
    # Starting with <pre stops markdown-it from wrapping it again.
    return f'<pre class="highlight" data-lang="{escape(lang or "text")}"><code>{body}</code></pre>'


def _image_as_link(self, tokens, idx, options, env) -> str:
    """A Markdown image in model output becomes a link: the browser never fetches a URL a reply chose, which
    could carry data out in its query (a known exfiltration path)."""
    token = tokens[idx]
    source, alt = token.attrGet("src") or "", token.content or ""
    return f'<a href="{escape(source)}">Image: {escape(alt or source)}</a>'


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=False: raw HTML in model output is shown as text, never passed through.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _highlight}).enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    return md


def render_markdown(text: str) -> str:
    """Sanitized HTML for a message's markdown."""
    if not text:
        return ""
    html = _markdown().render(text)
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(text: str) -> str:
    """Markdown as the words a reader sees: no fences, emphasis marks, link targets or headings' hashes."""
    words = []
    for token in _markdown().parse(text):
        if token.type == "inline":
            words += [child.content for child in token.children or () if child.type in ("text", "code_inline")]
        elif token.type in ("fence", "code_block"):
            words.append(token.content)
    return " ".join(" ".join(words).split())
