"""Image mode over HTTP: POST /api/images/generations stores the prompt, asks the provider for base64 images, stores
them like uploads and shows them as the reply's images, to the owner and to teammates; refusals store nothing."""
import io

import pytest
from django.test import Client
from PIL import Image

from chat.history import Tree, neutral_messages
from chat.models import Attachment, Conversation, Message
from providers.models import ProviderModel
from providers.services import refresh_models
from tests.conftest import loopback_provider
from tests.image_generation.conftest import URL, generate, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_images_are_made_stored_and_shown_as_the_replys_images(alice, painter, openai_fake, media):
    response = generate(signed_in(alice))
    assert response.status_code == 201, response.content
    body = response.json()
    prompt, reply = body["messages"]
    assert (prompt["role"], prompt["mode"], prompt["content"]) == ("user", "image", "A lighthouse at dusk")
    assert (reply["role"], reply["mode"], reply["status"], reply["parent_id"]) == ("assistant", "image", "complete",
                                                                                 prompt["id"])
    assert [(i["width"], i["height"]) for i in reply["images"]] == [(256, 256), (256, 256)]
    assert reply["cost"] == pytest.approx(0.08)
    assert "2 images (256x256)" in reply["content"]
    sent = openai_fake.chat_requests()[-1]
    assert sent.path == "/v1/images/generations"
    assert sent.body == {"model": "gpt-image-1", "prompt": "A lighthouse at dusk", "n": 2, "size": "256x256",
                         "response_format": "b64_json"}
    conversation = Conversation.objects.get()
    assert body["created_conversation"] and body["conversation"]["id"] == conversation.pk
    assert Attachment.objects.filter(conversation=conversation, owner=alice).count() == 2
    served = signed_in(alice).get(reply["images"][0]["url"])
    assert served.status_code == 200
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (256, 256)
    history = signed_in(alice).get(f"/api/conversations/{conversation.pk}").json()["messages"]
    assert [m["mode"] for m in history] == ["image", "image"] and history[1]["images"] == reply["images"]


def test_a_teammate_sees_the_images_of_a_team_conversation_not_of_a_private_one(alice, bob, painter):
    reply = generate(signed_in(alice), visibility="team").json()["messages"][1]
    assert signed_in(bob).get(reply["images"][0]["url"]).status_code == 200
    private = generate(signed_in(alice), visibility="private", n=1).json()["messages"][1]
    assert signed_in(bob).get(private["images"][0]["url"]).status_code == 404


def test_a_follow_up_in_chat_sends_the_image_turn_as_text_without_the_images(alice, painter):
    conversation = generate(signed_in(alice), n=1).json()["conversation"]["id"]
    tree = Tree.load(conversation)
    messages = neutral_messages(tree.path_to(tree.latest_id), None)
    assert [(m.role, bool(m.images)) for m in messages] == [("user", False), ("assistant", False)]
    assert "1 image (256x256)" in messages[1].content


@pytest.mark.parametrize("fields, words", [
    ({"prompt": ""}, "`prompt` must be text"),
    ({"n": 5}, "`n` must be a whole number from 1 to 4"),
    ({"n": 0}, "`n` must be a whole number from 1 to 4"),
    ({"n": True}, "`n` must be a whole number"),
    ({"size": "big"}, "`size` must be WIDTHxHEIGHT"),
    ({"provider": "nowhere"}, "Unknown provider"),
    ({"model": "other"}, "Unknown model"),
    ({"visibility": "everyone"}, "`visibility` must be private or team"),
    ({"conversation_id": "x"}, "`conversation_id` must be an id"),
])
def test_a_malformed_or_unknown_request_is_refused_before_anything_is_stored(alice, painter, openai_fake, fields,
                                                                             words):
    response = generate(signed_in(alice), **fields)
    assert response.status_code in (400, 404), response.content
    assert words in response.json()["error"]
    assert not Message.objects.exists() and not openai_fake.chat_requests()


def test_a_model_without_image_generation_is_refused_clearly(alice, painter, openai_fake):
    ProviderModel.objects.filter(provider=painter).update(supports_image_generation=None)  # as the provider: no
    response = generate(signed_in(alice))
    assert response.status_code == 400
    assert response.json()["error"].startswith("Loopback · gpt-image-1 does not make images")
    assert not Message.objects.exists() and not openai_fake.chat_requests()


def test_only_the_owner_adds_to_a_conversation_and_nobody_signed_out(alice, bob, painter):
    conversation = generate(signed_in(alice), visibility="team").json()["conversation"]["id"]
    response = generate(signed_in(bob), conversation_id=conversation)
    assert response.status_code == 403 and "Only the owner" in response.json()["error"]
    assert Client().post(URL, {}, content_type="application/json").status_code == 403
    assert Message.objects.count() == 2


def test_discovery_marks_openai_image_models_by_their_id_and_keeps_the_admins_choice(db, openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    openai_fake.models = ["fake-model", "dall-e-3", "gpt-image-1", "chatty"]
    ProviderModel.objects.create(provider=provider, model_id="chatty", supports_image_generation=True)
    refresh_models(provider)
    rows = dict(provider.provider_models.values_list("model_id", "supports_image_generation"))
    assert rows == {"fake-model": None, "dall-e-3": True, "gpt-image-1": True, "chatty": True}


def test_the_model_list_says_which_models_make_images(alice, painter):
    providers = signed_in(alice).get("/api/providers").json()["providers"]
    assert providers[0]["models"][0]["capabilities"]["image_generation"] is True


def test_exports_carry_the_mode_and_image_references_and_markdown_links_them(alice, painter):
    client = signed_in(alice)
    body = generate(client).json()
    conversation, reply = body["conversation"]["id"], body["messages"][1]
    exported = client.get(f"/api/conversations/{conversation}/export.json").json()
    prompt_out, reply_out = exported["messages"]
    assert (prompt_out["mode"], reply_out["mode"]) == ("image", "image")
    assert reply_out["images"] == reply["images"] and all(set(i) == {"id", "url", "width", "height"}
                                                         for i in reply_out["images"])
    assert reply_out["request"]["image"] == {"size": "256x256", "n": 2}
    markdown = client.get(f"/api/conversations/{conversation}/export.md").content.decode()
    first = reply["images"][0]
    assert f"- [Image 1 (256×256)](http://testserver{first['url']})" in markdown
    assert "![" not in markdown  # never an inline image


def test_an_import_keeps_the_images_its_importer_may_see_as_copies_and_leaves_out_the_others(alice, bob, painter):
    team = generate(signed_in(alice), visibility="team", n=1).json()
    private = generate(signed_in(alice), visibility="private", n=1).json()
    for source, kept in ((team, 1), (private, 0)):
        document = signed_in(alice).get(f"/api/conversations/{source['conversation']['id']}/export.json").json()
        response = signed_in(bob).post("/api/conversations/import", document, content_type="application/json")
        assert response.status_code == 201, response.content
        new = Conversation.objects.get(pk=response.json()["conversation"]["id"])
        reply = new.messages.get(role="assistant")
        assert reply.mode == "image" and len(reply.images) == kept
        assert reply.content.startswith("1 image (256x256)")
        for reference in reply.images:
            copy = Attachment.objects.get(pk=reference["id"])
            assert copy.owner == bob and copy.conversation == new
            assert reference["id"] != source["messages"][1]["images"][0]["id"]
            assert signed_in(bob).get(f"/api/images/{reference['id']}").status_code == 200


def test_image_cost_counts_toward_the_spend_quota_and_a_used_up_quota_stores_nothing(alice, painter, openai_fake):
    from chat.gateway.models import Quota

    client = signed_in(alice)
    Quota.objects.create(scope=Quota.USER, user=alice, spend_per_month="0.04")
    assert generate(client, n=1).status_code == 201  # 0.04 USD: the month's spend is used up
    refused = generate(client, n=1)
    assert refused.status_code == 429 and "USD of spend per month (used 0.04)" in refused.json()["error"]
    assert Message.objects.count() == 2 and len(openai_fake.chat_requests()) == 1


def test_a_wire_format_that_makes_no_images_says_so_on_the_reply(alice, db):
    from tests.fakes.anthropic import AnthropicFake

    with AnthropicFake() as fake:
        provider = loopback_provider(fake.base_url, slug="claude", kind="anthropic", name="Claude", model="m")
        ProviderModel.objects.filter(provider=provider).update(supports_image_generation=True)
        response = generate(signed_in(alice), provider="claude", model="m")
    assert response.status_code == 502
    assert response.json()["error"].startswith("The Claude API does not make images here")
    assert response.json()["messages"][1]["status"] == "error" and not fake.requests


def test_a_fork_keeps_the_generated_images_as_its_own_copies(alice, bob, painter):
    made = generate(signed_in(alice), visibility="team").json()
    response = signed_in(bob).post(f"/api/conversations/{made['conversation']['id']}/fork", {},
                                   content_type="application/json")
    assert response.status_code == 201, response.content
    reply = response.json()["messages"][1]
    assert reply["mode"] == "image" and len(reply["images"]) == 2
    assert {i["id"] for i in reply["images"]}.isdisjoint({i["id"] for i in made["messages"][1]["images"]})
    assert all(Attachment.objects.get(pk=i["id"]).owner == bob for i in reply["images"])
