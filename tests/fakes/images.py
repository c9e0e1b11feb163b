"""How the fakes check an image a request carries: base64 that decodes to the image type it claims."""
import base64
import binascii
import re

MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/gif": b"GIF8", "image/webp": b"RIFF"}
DATA_URL = re.compile(r"data:(image/[a-z]+);base64,(.*)", re.S)


def image_problem(media_type, data) -> str | None:
    """What is wrong with base64 `data` said to be `media_type` (None when it is such an image)."""
    if media_type not in MAGIC:
        return f"unsupported image media type {media_type!r}"
    try:
        raw = base64.b64decode(data if isinstance(data, str) else "", validate=True)
    except (binascii.Error, ValueError):
        return "image data is not valid base64"
    if not raw.startswith(MAGIC[media_type]):
        return f"image data does not match its media type {media_type}"
    return None


def data_url_problem(url) -> str | None:
    """What is wrong with a data URL carrying an image (None when it is one)."""
    match = DATA_URL.fullmatch(url) if isinstance(url, str) else None
    if match is None:
        return "image url must be a data:image/...;base64, URL (this fake fetches no remote images)"
    return image_problem(match[1], match[2])
