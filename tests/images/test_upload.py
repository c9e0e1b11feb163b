"""POST /api/images: only real images within the limits are stored, without their metadata; GET serves them
to those who may read them."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat.models import Attachment, Conversation
from tests.images.pictures import exif_with_gps, picture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def upload(client, data: bytes, name="photo.png", content_type="image/png"):
    return client.post("/api/images", {"image": SimpleUploadedFile(name, data, content_type=content_type)})


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def refused(response, media, words: str) -> None:
    assert response.status_code == 400, response.content
    assert words in response.json()["error"]
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_png_is_stored_and_served_back_to_its_owner(client, alice, media):
    client.force_login(alice)
    response = upload(client, picture("PNG", (5, 4)))
    assert response.status_code == 201
    body = response.json()
    assert (body["width"], body["height"], body["content_type"]) == (5, 4, "image/png")
    assert body["url"] == f"/api/images/{body['id']}"
    row = Attachment.objects.get()
    assert row.owner == alice and len(row.sha256) == 64 and row.size == body["size"]
    served = client.get(body["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (5, 4)


@pytest.mark.parametrize("fmt, content_type", [("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")])
def test_every_accepted_format_is_told_by_its_content_not_its_name(client, alice, fmt, content_type):
    client.force_login(alice)
    response = upload(client, picture(fmt), name="no-extension", content_type="application/octet-stream")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type


def test_exif_is_stripped(client, alice):
    client.force_login(alice)
    original = picture("JPEG", exif=exif_with_gps())
    assert b"SecretCam" in original
    response = upload(client, original, name="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 201
    with Attachment.objects.get().file.open("rb") as handle:
        stored = handle.read()
    assert b"SecretCam" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_a_file_that_is_not_an_image_is_refused(client, alice, media):
    client.force_login(alice)
    refused(upload(client, b"%PDF-1.4 not a picture at all", name="cat.png"), media, "not an image")


def test_a_bmp_is_refused_as_a_type_not_taken(client, alice, media):
    client.force_login(alice)
    refused(upload(client, picture("BMP"), name="x.bmp", content_type="image/bmp"), media, "PNG, JPEG, WebP or GIF")


def test_a_truncated_image_is_refused(client, alice, media):
    client.force_login(alice)
    refused(upload(client, picture("PNG", (64, 64))[:60]), media, "image")


def test_too_many_bytes_is_refused(client, alice, media, settings):
    settings.PLAYGROUND_MAX_IMAGE_BYTES = 100
    client.force_login(alice)
    refused(upload(client, picture("PNG", (64, 64), color=(1, 2, 3)) + b"\0" * 200), media, "too large")


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(client, alice, media, settings):
    settings.PLAYGROUND_MAX_IMAGE_BYTES = 1000
    client.force_login(alice)
    big = picture("PNG", (300, 300), color=(1, 2, 3)) + bytes(range(256)) * 400
    refused(upload(client, big), media, "too large")


def test_too_many_pixels_is_refused(client, alice, media, settings):
    settings.PLAYGROUND_MAX_IMAGE_PIXELS = 100
    client.force_login(alice)
    refused(upload(client, picture("PNG", (11, 10))), media, "too many pixels")


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, alice, media):
    """A small file that claims 20,000 × 20,000 pixels (400 million; it compresses to almost nothing)."""
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 100_000
    client.force_login(alice)
    refused(upload(client, bomb.getvalue()), media, "too many pixels")


def test_a_wrong_declared_type_is_refused(client, alice, media):
    client.force_login(alice)
    refused(upload(client, picture("JPEG"), name="photo.png", content_type="image/png"), media,
            "says it is image/png but its content is JPEG")


def test_an_upload_without_the_image_field_is_refused(client, alice):
    client.force_login(alice)
    response = client.post("/api/images", {})
    assert response.status_code == 400 and "image" in response.json()["error"]


def test_anonymous_callers_cannot_upload_or_read(client, alice):
    assert upload(client, picture()).status_code == 403
    client.force_login(alice)
    url = upload(client, picture()).json()["url"]
    client.logout()
    assert client.get(url).status_code == 403


def test_an_unused_image_is_only_its_owners_and_a_used_one_follows_its_conversation(client, alice, bob):
    client.force_login(alice)
    url = upload(client, picture()).json()["url"]
    client.force_login(bob)
    assert client.get(url).status_code == 404
    conversation = Conversation.objects.create(owner=alice, title="t", visibility=Conversation.PRIVATE)
    Attachment.objects.update(conversation=conversation)
    assert client.get(url).status_code == 404
    Conversation.objects.update(visibility=Conversation.TEAM)
    assert client.get(url).status_code == 200


def used_in_a_conversation(client, owner, visibility=Conversation.TEAM):
    """An image of `owner` on the first message of a new conversation of theirs: (conversation, url)."""
    from chat.models import Message

    client.force_login(owner)
    image = upload(client, picture("PNG", (6, 5))).json()
    conversation = Conversation.objects.create(owner=owner, title="t", visibility=visibility)
    Attachment.objects.filter(pk=image["id"]).update(conversation=conversation)
    Message.objects.create(conversation=conversation, role="user", content="Look", author=owner,
                           images=[{"id": image["id"], "width": 6, "height": 5}])
    return conversation, image["url"]


def test_a_fork_keeps_its_images_when_the_original_is_deleted(client, alice, bob, media):
    original, url = used_in_a_conversation(client, alice)
    client.force_login(bob)
    fork = client.post(f"/api/conversations/{original.pk}/fork", {}, content_type="application/json").json()
    forked_image = fork["messages"][0]["images"][0]
    assert forked_image["url"] != url and (forked_image["width"], forked_image["height"]) == (6, 5)
    client.force_login(alice)
    assert client.delete(f"/api/conversations/{original.pk}").status_code in (200, 204)
    assert client.get(url).status_code == 404
    client.force_login(bob)
    served = client.get(forked_image["url"])
    assert served.status_code == 200 and Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (6, 5)
    assert len(stored_files(media)) == 1  # the original's file went with it


def test_deleting_a_conversation_removes_its_image_files(client, alice, media):
    conversation, _ = used_in_a_conversation(client, alice)
    assert len(stored_files(media)) == 1
    conversation.delete()
    assert Attachment.objects.count() == 0 and stored_files(media) == []
