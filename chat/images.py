"""Attached images: validated with Pillow, re-encoded without metadata, stored through Django's storage API.

Synchronous (Pillow and storage work): views call it directly, the chat runs it off the event loop.
"""
import hashlib
import io
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from chat.errors import ApiError, Refused
from chat.models import Attachment
from chat.models.attachments import image_url
from providers import types

# Pillow's format name → the content type stored and sent to providers.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
ACCEPTED = "PNG, JPEG, WebP or GIF"


def _refuse(message: str):
    return ApiError(400, message)


def _open(data: bytes) -> Image.Image:
    """The image in `data`, its header checked: a known format within the pixel limit (pixels not decoded yet)."""
    limit = settings.PLAYGROUND_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(f"The image has too many pixels (at most {limit:,}).") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _refuse(f"The file is not an image this playground takes ({ACCEPTED}).") from None
    if image.width * image.height > limit:
        raise _refuse(f"The image has too many pixels ({image.width}×{image.height}; at most {limit:,}).")
    return image


def _reencode(image: Image.Image, fmt: str) -> bytes:
    """The (first frame of the) image decoded and written again: no EXIF or other metadata survives."""
    try:
        image.load()
        image = ImageOps.exif_transpose(image)  # keep how it looked, without the orientation tag
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse("The image is damaged: it could not be decoded.") from None
    clean = image.copy()
    clean.info = {}
    out = io.BytesIO()
    options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
        clean = clean.convert("RGB")
    clean.save(out, format=fmt, **options)
    return out.getvalue()


def too_large(size: int) -> str:
    return f"The image is too large ({size:,} bytes; at most {settings.PLAYGROUND_MAX_IMAGE_BYTES:,})."


def validated(data: bytes, declared: str | None) -> tuple[bytes, str, int, int]:
    """(clean bytes, content type, width, height) of an upload; ApiError(400) saying what is wrong otherwise."""
    if len(data) > settings.PLAYGROUND_MAX_IMAGE_BYTES:
        raise _refuse(too_large(len(data)))
    if not data:
        raise _refuse("The file is empty.")
    image = _open(data)
    fmt = image.format
    content_type = FORMATS[fmt]
    if declared and declared.startswith("image/") and declared != content_type:
        raise _refuse(f"The file says it is {declared[:40]} but its content is {fmt}.")
    clean = _reencode(image, fmt)
    return clean, content_type, *Image.open(io.BytesIO(clean)).size


def store(owner, data: bytes, declared: str | None) -> Attachment:
    """Validate an upload and store it as an Attachment of `owner`; nothing is stored when it is refused."""
    return save(owner, *validated(data, declared))


def save(owner, clean: bytes, content_type: str, width: int, height: int, conversation=None) -> Attachment:
    """Store an image `validated` returned, as an Attachment of `owner` (used in `conversation`, when given)."""
    digest = hashlib.sha256(clean).hexdigest()
    attachment = Attachment(owner=owner, content_type=content_type, size=len(clean), width=width, height=height,
                            sha256=digest, conversation=conversation)
    extension = content_type.removeprefix("image/").replace("jpeg", "jpg")
    attachment.file.save(f"{digest[:32]}.{extension}", ContentFile(clean), save=True)
    return attachment


def summary(attachment: Attachment) -> dict:
    return {**attachment.reference(), "url": image_url(attachment.pk), "content_type": attachment.content_type,
            "size": attachment.size}


# Attaching to a message --------------------------------------------------------------------------


def attachable(user, conversation_id: int | None, ids: list[int]) -> list[Attachment]:
    """The attachments `ids` names, in order: each the user's own, unused or already used in this conversation."""
    if not ids:
        return []
    rows = {a.pk: a for a in Attachment.objects.filter(pk__in=ids, owner=user)}
    for attachment_id in ids:
        row = rows.get(attachment_id)
        if row is None or row.conversation_id not in (None, conversation_id):
            raise Refused("bad_request", f"Image {attachment_id} is not one of your uploads for this conversation.")
    return [rows[i] for i in ids]


def copy_into(conversation, owner, messages: list) -> None:
    """Give the (unsaved) copies of `messages` copies of their images, owned by `owner` in `conversation`, so a fork
    keeps its images whatever becomes of the original."""
    ids = {reference["id"] for message in messages for reference in message.images or ()}
    copies = {}
    for row in Attachment.objects.filter(pk__in=ids):
        with row.file.open("rb") as handle:
            data = handle.read()
        copy = Attachment(owner=owner, conversation=conversation, content_type=row.content_type, size=row.size,
                          width=row.width, height=row.height, sha256=row.sha256)
        copy.file.save(row.file.name.rsplit("/", 1)[-1], ContentFile(data), save=True)
        copies[row.pk] = copy
    for message in messages:
        message.images = [copies[r["id"]].reference() for r in message.images or () if r["id"] in copies]


def neutral_images(references: list[dict]) -> tuple[types.Image, ...]:
    """The images a message stores references to, read from storage for a provider request."""
    if not references:
        return ()
    rows = {a.pk: a for a in Attachment.objects.filter(pk__in=[r["id"] for r in references])}
    images = []
    for reference in references:
        row = rows.get(reference["id"])
        if row is None:
            continue  # deleted since: the message is sent without it
        with row.file.open("rb") as handle:
            images.append(types.Image(row.content_type, handle.read()))
    return tuple(images)
