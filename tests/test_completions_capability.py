"""The `completions` capability: off unless a provider (its preset) or a model says so; discovery marks the models
that serve text completion where the provider says (a `capabilities` list) or the preset knows (OpenAI's instruct
and base models); the admin's choice is kept; a provider that cannot stream gets the completion whole, logprobs
and all."""
import pytest

from providers.models import Provider, ProviderModel
from providers.presets import get_preset, provider_values
from providers.services import refresh_models
from tests.conftest import loopback_provider


def test_presets_say_which_servers_serve_text_completion():
    assert provider_values(get_preset("vllm"))["supports_completions"] is True
    assert provider_values(get_preset("llamacpp"))["supports_completions"] is True
    assert provider_values(get_preset("ollama-openai"))["supports_completions"] is True
    assert provider_values(get_preset("openai"))["supports_completions"] is False  # only some of its models
    assert provider_values(get_preset("anthropic"))["supports_completions"] is False
    assert Provider().supports_completions is False


@pytest.mark.django_db
def test_discovery_marks_the_models_that_serve_it_and_keeps_the_admins_choice(openai_fake):
    openai_fake.models = ["base-model", "chat-model", "kept-model"]
    openai_fake.completion_models = {"base-model", "kept-model"}
    provider = loopback_provider(openai_fake.base_url, model="kept-model")
    ProviderModel.objects.filter(provider=provider, model_id="kept-model").update(supports_completions=False)
    refresh_models(provider)
    rows = {row.model_id: row for row in provider.provider_models.all()}
    assert {m: r.supports_completions for m, r in rows.items()} == {
        "base-model": True, "chat-model": None, "kept-model": False}  # None: as the provider (off)
    assert rows["base-model"].capabilities().completions and not rows["chat-model"].capabilities().completions


@pytest.mark.django_db
def test_the_openai_presets_instruct_and_base_models_are_marked(openai_fake):
    provider = loopback_provider(openai_fake.base_url)
    provider.preset = "openai"
    provider.save()
    openai_fake.models = ["gpt-3.5-turbo-instruct", "davinci-002", "gpt-4o-mini"]
    refresh_models(provider)
    rows = dict(provider.provider_models.values_list("model_id", "supports_completions"))
    assert rows == {"gpt-3.5-turbo-instruct": True, "davinci-002": True, "gpt-4o-mini": None, "fake-model": None}


def test_the_model_list_offers_the_capability_to_the_page(client, alice, provider):
    provider.supports_completions = True
    provider.save()
    client.force_login(alice)
    models = client.get("/api/providers").json()["providers"][0]["models"]
    assert models[0]["capabilities"]["completions"] is True


def test_view_code_for_the_next_completion_is_the_prompt_alone(client, alice, provider):
    from chat.models import Conversation, Message

    provider.supports_completions = True
    provider.save()
    conversation = Conversation.objects.create(owner=alice, title="Earlier chat")
    Message.objects.create(conversation=conversation, role="user", content="An earlier chat turn")
    client.force_login(alice)
    sample = client.post("/api/code", {"conversation_id": conversation.pk, "content": "def fib(n):", "mode": "completion",
                                       "provider": "loopback", "model": "fake-model", "system": "Be brief.",
                                       "params": {"logprobs": 3, "echo": True}}, content_type="application/json").json()
    assert sample["url"].endswith("/v1/completions")
    assert sample["body"]["prompt"] == "def fib(n):" and "messages" not in sample["body"]
    assert (sample["body"]["logprobs"], sample["body"]["echo"]) == (3, True)
    assert "client.completions.create(" in sample["python"]


def test_a_forked_completion_keeps_its_mode_and_logprobs(client, alice, provider):
    from chat.models import Conversation, Message

    conversation = Conversation.objects.create(owner=alice, title="Fox", settings={"mode": "completion"})
    prompt = Message.objects.create(conversation=conversation, role="user", content="There was", mode="completion")
    tokens = [{"token": " a fox", "logprob": -0.1, "top": []}]
    Message.objects.create(conversation=conversation, parent=prompt, role="assistant", content=" a fox",
                           mode="completion", logprobs=tokens)
    client.force_login(alice)
    copy = client.post(f"/api/conversations/{conversation.pk}/fork", {}, content_type="application/json").json()
    assert [(m["mode"], m["logprobs"]) for m in copy["messages"]] == [("completion", None), ("completion", tokens)]
    assert copy["conversation"]["settings"]["mode"] == "completion"
