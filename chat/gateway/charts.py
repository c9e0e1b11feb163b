"""Bar charts as server-rendered SVG (no script: the page's CSP allows only the site's own files)."""
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD, LABEL = 640, 160, 4, 18


def bars(title: str, points: list[tuple[str, float]], unit: str = "") -> SafeString:
    """A bar per (label, value), labelled below, the largest value on top; all text escaped."""
    top = max((value for _, value in points), default=0) or 1
    width = (WIDTH - PAD) / max(1, len(points))
    parts = [f'<svg class="usage-chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT + 2 * LABEL}" '
             f'width="{WIDTH}" height="{HEIGHT + 2 * LABEL}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<text x="0" y="12" class="usage-chart-top">{escape(_number(top))}{escape(unit)}</text>']
    for n, (label, value) in enumerate(points):
        height = round(HEIGHT * value / top, 1)
        x = round(PAD + n * width, 1)
        parts.append(f'<rect x="{x}" y="{LABEL + HEIGHT - height}" width="{max(1, round(width - PAD, 1))}" '
                     f'height="{height}"><title>{escape(label)}: {escape(_number(value))}{escape(unit)}</title></rect>')
        if len(points) <= 16 or n % max(1, len(points) // 8) == 0:
            parts.append(f'<text x="{x}" y="{HEIGHT + 2 * LABEL - 4}" class="usage-chart-label">{escape(label[-5:])}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
