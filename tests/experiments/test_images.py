"""Images in an experiment: attached to its last user message, sent to each target as an image part; a target
without vision, or someone else's image, is refused before anything is stored."""
import base64

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.models import Attachment, Experiment, ExperimentRun
from providers.models import ProviderModel
from tests.experiments.conftest import run_to_end
from tests.images.pictures import picture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def uploaded(client) -> dict:
    response = client.post("/api/images", {"image": SimpleUploadedFile("p.png", picture("PNG", (6, 4)))})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def two(fakes, add_provider):
    alpha, beta = fakes(), fakes()
    add_provider("alpha", alpha)
    add_provider("beta", beta)
    return alpha, beta


def body(image_ids, targets=("alpha", "beta")) -> dict:
    return {"prompt": "What is in the picture?", "images": image_ids,
            "targets": [{"provider": slug, "model": "fake-model"} for slug in targets]}


@pytest.mark.asyncio
async def test_every_target_is_sent_the_images_of_the_last_user_message(alice, two):
    client = await database_sync_to_async(signed_in)(alice)
    image = await database_sync_to_async(uploaded)(client)
    response = await database_sync_to_async(client.post)("/api/experiments", body([image["id"]]),
                                                         content_type="application/json")
    assert response.status_code == 201, response.content
    last = response.json()["experiment"]["messages"][-1]
    assert last["images"] == [{"id": image["id"], "width": 6, "height": 4, "url": image["url"]}]
    experiment = await Experiment.objects.aget()
    batch = await run_to_end(experiment, alice)
    assert batch.status == "complete"
    stored = await database_sync_to_async(lambda: Attachment.objects.get().file.open("rb").read())()
    for fake in two:
        content = fake.chat_requests()[-1].body["messages"][-1]["content"]
        assert content[0] == {"type": "text", "text": "What is in the picture?"}
        assert content[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(stored).decode()
    assert await ExperimentRun.objects.filter(status="complete").acount() == 2


def test_an_edit_keeps_the_images_unless_it_names_others(alice, two):
    client = signed_in(alice)
    image = uploaded(client)
    experiment = client.post("/api/experiments", body([image["id"]]), content_type="application/json").json()
    url = f"/api/experiments/{experiment['experiment']['id']}"
    edited = client.patch(url, {"prompt": "And now?"}, content_type="application/json").json()["experiment"]
    assert edited["messages"][-1] == {"role": "user", "content": "And now?", "images": experiment["experiment"][
        "messages"][-1]["images"]}
    cleared = client.patch(url, {"images": []}, content_type="application/json").json()["experiment"]
    assert "images" not in cleared["messages"][-1]


def test_a_target_without_vision_is_refused_before_anything_is_stored(alice, two):
    ProviderModel.objects.filter(provider__slug="beta").update(supports_vision=False)
    client = signed_in(alice)
    image = uploaded(client)
    response = client.post("/api/experiments", body([image["id"]]), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "Beta · fake-model does not take images; remove them or pick another model."
    assert not Experiment.objects.exists()
    assert client.post("/api/experiments", body([]), content_type="application/json").status_code == 201


@pytest.mark.parametrize("images, words", [
    ("x", "`images` must list up to 10 different image ids"),
    ([1, 1], "`images` must list up to 10 different image ids"),
    ([True], "`images` must be an id"),
])
def test_malformed_image_lists_are_refused(alice, two, images, words):
    response = signed_in(alice).post("/api/experiments", body(images), content_type="application/json")
    assert response.status_code == 400 and words in response.json()["error"]


def test_someone_elses_image_is_refused(alice, bob, two):
    image = uploaded(signed_in(bob))
    response = signed_in(alice).post("/api/experiments", body([image["id"]]), content_type="application/json")
    assert response.status_code == 400
    assert f"Image {image['id']} is not one of your uploads" in response.json()["error"]
    assert not Experiment.objects.exists()
