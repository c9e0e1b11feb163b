"""`manage.py providers`: add, update, remove, enable, disable, list, models, check."""
import io
import socket

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from providers.models import Provider
from tests.conftest import TEST_KEY
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db


def run(*args, stdin: str | None = None) -> str:
    out = io.StringIO()
    extra = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command("providers", *args, stdout=out, **extra)
    return out.getvalue()


def exit_code(*args) -> int:
    """Run the command as the shell would and return its exit status."""
    try:
        ManagementUtility(["manage.py", "providers", *args]).execute()
    except SystemExit as exit:
        return exit.code
    return 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_add_reads_the_key_from_stdin_and_stores_it_encrypted(openai_fake):
    out = run("add", "--name", "Fake", "--slug", "fake", "--kind", "openai", "--base-url", openai_fake.base_url,
              "--api-key-stdin", "--default-model", "fake-model", stdin=TEST_KEY + "\n")
    fake = Provider.objects.get(slug="fake")
    assert fake.secret().reveal() == TEST_KEY
    assert (fake.default_model, fake.api_key_env) == ("fake-model", "")
    assert TEST_KEY not in out and "••••" + TEST_KEY[-4:] in out


def test_add_can_name_an_environment_variable_instead(openai_fake):
    run("add", "--name", "Env", "--slug", "env", "--kind", "openai", "--base-url", openai_fake.base_url,
        "--api-key-env", "LOOPBACK_KEY")
    env = Provider.objects.get(slug="env")
    assert (env.api_key_env, env.api_key_encrypted, env.key_hint()) == ("LOOPBACK_KEY", "", "from $LOOPBACK_KEY")


def test_add_fills_everything_not_given_from_a_preset():
    run("add", "--preset", "mistral", "--slug", "mistral-team")
    mistral = Provider.objects.get(slug="mistral-team")
    assert (mistral.base_url, mistral.api_key_env, mistral.preset) == (
        "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "mistral")
    assert mistral.options == {"tool_choice_required": "any", "tool_call_ids": "alnum9"}


def test_add_explains_what_is_missing_or_wrong(provider):
    with pytest.raises(CommandError, match="--name, --slug, --base-url"):
        run("add", "--kind", "openai")
    with pytest.raises(CommandError, match="exists already"):
        run("add", "--preset", "openai", "--slug", "loopback")
    with pytest.raises(CommandError, match="No preset 'nope'"):
        run("add", "--preset", "nope")
    with pytest.raises(CommandError, match="standard input held no key"):
        run("add", "--preset", "groq", "--api-key-stdin", stdin="")
    with pytest.raises(CommandError, match="base_url"):
        run("add", "--name", "X", "--slug", "x", "--base-url", "not a url")


def test_list_prints_providers_with_a_key_hint_and_model_count(provider):
    out = run("list")
    assert "slug\tname\tkind\tbase_url\tkey\tenabled\tmodels" in out
    assert f"loopback\tLoopback\topenai\t{provider.base_url}\t••••{TEST_KEY[-4:]}\tyes\t1" in out
    assert TEST_KEY not in out


def test_models_refresh_discovers_and_prints_models(provider):
    out = run("models", "loopback", "--refresh")
    assert out.split() == ["fake-model", "fake-model-mini"]
    assert provider.provider_models.get(model_id="fake-model-mini").discovered


def test_models_of_an_unknown_slug_names_the_known_ones(provider):
    with pytest.raises(CommandError, match="known slugs: loopback"):
        run("models", "nope")


def test_check_exits_0_when_healthy(provider, capsys):
    assert exit_code("check", "loopback") == 0
    assert "healthy (status 200" in capsys.readouterr().out


def test_check_exits_1_when_the_key_is_rejected(provider, openai_fake, capsys):
    openai_fake.enqueue(Reply.fail(401, "invalid key"))
    assert exit_code("check", "loopback") == 1
    assert "unhealthy (status 401" in capsys.readouterr().out


def test_check_exits_1_when_nothing_listens(provider, capsys):
    Provider.objects.filter(pk=provider.pk).update(base_url=f"http://127.0.0.1:{closed_port()}/v1", max_retries=0)
    assert exit_code("check", "loopback") == 1
    assert "could not be reached" in capsys.readouterr().out


# update, remove, enable, disable ---------------------------------------------------------------


def test_update_changes_only_what_is_given(provider):
    out = run("update", "loopback", "--name", "Renamed", "--timeout", "30", "--idle-timeout", "5", "--retries", "1")
    provider.refresh_from_db()
    assert (provider.name, provider.timeout_seconds, provider.idle_timeout_seconds, provider.max_retries) == (
        "Renamed", 30.0, 5.0, 1)
    assert provider.secret().reveal() == TEST_KEY and provider.default_model == "fake-model"
    assert "Updated loopback: name, timeout_seconds, idle_timeout_seconds, max_retries" in out
    assert TEST_KEY not in out


def test_update_reads_a_new_key_from_stdin_or_names_a_variable(provider):
    run("update", "loopback", "--api-key-stdin", stdin="sk-new-key-0123456789\n")
    provider.refresh_from_db()
    assert provider.secret().reveal() == "sk-new-key-0123456789" and provider.api_key_env == ""
    out = run("update", "loopback", "--api-key-env", "LOOPBACK_KEY")
    provider.refresh_from_db()
    assert (provider.api_key_env, provider.api_key_encrypted) == ("LOOPBACK_KEY", "")
    assert "from $LOOPBACK_KEY" in out


def test_update_refuses_bad_values_and_changes_nothing(provider):
    for args, problem in ((["--base-url", "not a url"], "base_url"), (["--timeout", "0"], "--timeout"),
                          (["--retries", "-1"], "--retries"), ([], "Nothing to change")):
        with pytest.raises(CommandError, match=problem):
            run("update", "loopback", *args)
    provider.refresh_from_db()
    assert provider.timeout_seconds == 180.0 and provider.base_url.startswith("http://127.0.0.1")


def test_disable_and_enable_switch_a_provider(provider):
    assert run("disable", "loopback") == "loopback is disabled.\n"
    provider.refresh_from_db()
    assert not provider.enabled
    run("enable", "loopback")
    provider.refresh_from_db()
    assert provider.enabled


def test_remove_deletes_a_provider_and_its_models(provider):
    assert "Removed loopback (Loopback) and its 1 model." in run("remove", "loopback")
    assert not Provider.objects.filter(slug="loopback").exists()


@pytest.mark.parametrize("action", ["update", "remove", "enable", "disable"])
def test_an_unknown_slug_is_a_clear_error_that_names_the_known_ones(provider, action):
    args = ["--name", "x"] if action == "update" else []
    with pytest.raises(CommandError, match="No provider 'nope'; known slugs: loopback"):
        run(action, "nope", *args)
    assert exit_code(action, "nope", *args) == 1
