"""Small images made on the spot for the image tests."""
import io

from PIL import Image


def picture(fmt: str = "PNG", size=(4, 3), color=(200, 30, 30), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    options = {"exif": exif} if exif else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def exif_with_gps() -> bytes:
    """EXIF naming a camera and a place: what must never be stored or sent."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS info
    return exif.tobytes()
