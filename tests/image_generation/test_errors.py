"""Image mode when the provider fails or answers with something that is not images: a clear error, the prompt kept,
the reply stored with status `error`, no image stored."""
import pytest

from chat.models import Attachment, Message
from tests.fakes.script import Reply
from tests.image_generation.conftest import generate, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def failed(response, status: int, words: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert words in body["error"], body["error"]
    prompt, reply = body["messages"]
    assert prompt["content"] == "A lighthouse at dusk" and prompt["mode"] == "image"
    assert (reply["status"], reply["images"], reply["error"]["message"]) == ("error", [], body["error"])
    stored = Message.objects.get(pk=reply["id"])
    assert stored.status == Message.ERROR and stored.error_message == body["error"]
    assert Message.objects.filter(role="user", content="A lighthouse at dusk").exists()
    assert not Attachment.objects.exists()
    return body


@pytest.mark.parametrize("status, code, http_status, words", [
    (400, "bad_request", 502, "Loopback answered 400: Your prompt was rejected"),
    (401, "provider_auth", 502, "Loopback rejected the key (401)"),
    (429, "rate_limited", 429, "Loopback is rate-limiting requests (429)"),
    (500, "provider_error", 502, "Loopback answered 500"),
])
def test_a_provider_error_is_stored_on_the_reply_and_answered(alice, painter, openai_fake, status, code, http_status,
                                                              words):
    painter.max_retries = 0
    painter.save()
    openai_fake.enqueue(Reply.fail(status, "Your prompt was rejected"))
    body = failed(generate(signed_in(alice)), http_status, words)
    assert body["code"] == code


def test_a_size_the_provider_does_not_make_is_its_400_in_the_reply(alice, painter):
    failed(generate(signed_in(alice), size="300x300"), 502, "Invalid value for 'size'")


def test_an_html_page_instead_of_json_says_so(alice, painter, openai_fake):
    openai_fake.enqueue(Reply.html())
    failed(generate(signed_in(alice)), 502, "answered an HTML page (Sign in - Example Proxy)")


@pytest.mark.parametrize("images_as, words", [
    ("url", "answered with image URLs instead of base64 image data"),
    ("not_base64", "sent image data that is not valid base64"),
    ("not_image", "sent an image this playground does not take: The file is not an image"),
    ("extra", "sent 3 images, 2 were asked for"),
])
def test_a_reply_that_is_not_the_images_asked_for_is_refused(alice, painter, openai_fake, images_as, words):
    openai_fake.images_as = images_as
    failed(generate(signed_in(alice)), 502, words)


def test_an_image_over_the_size_limit_is_refused(alice, painter, settings):
    settings.PLAYGROUND_MAX_IMAGE_BYTES = 500
    failed(generate(signed_in(alice), size="1024x1024", n=1), 502, "this playground takes at most 500")


def test_after_a_failure_the_conversation_takes_the_next_prompt(alice, painter, openai_fake):
    painter.max_retries = 0
    painter.save()
    openai_fake.enqueue(Reply.fail(500))
    conversation = generate(signed_in(alice)).json()["conversation"]["id"]
    response = generate(signed_in(alice), conversation_id=conversation, n=1)
    assert response.status_code == 201, response.content
    assert len(response.json()["messages"][1]["images"]) == 1


def test_a_provider_that_does_not_answer_in_time_is_a_504_with_the_prompt_kept(alice, painter, openai_fake):
    painter.timeout_seconds, painter.max_retries = 0.5, 0
    painter.save()
    openai_fake.enqueue(Reply(stall_before=5))
    body = failed(generate(signed_in(alice)), 504, "Loopback did not start answering within 0.5 s")
    assert body["code"] == "timeout"
