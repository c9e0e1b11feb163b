"""`make run`'s start-up path on a fresh database: migrate, bootstrap, Daphne."""
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import live

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_LINE = re.compile(r"Created admin user 'admin' with password: (\S+)")


@pytest.fixture
def fresh_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DJANGO_SUPERUSER_") and k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    return env


def manage(env, *args) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def daphne(fresh_env, bootstrapped):
    with live.daphne(fresh_env, "startup") as base_url:
        yield base_url


@pytest.fixture
def bootstrapped(fresh_env):
    """Migrate and bootstrap twice, as two `make run`s would; returns both outputs."""
    manage(fresh_env, "migrate", "--noinput")
    return manage(fresh_env, "bootstrap"), manage(fresh_env, "bootstrap")


def sign_in(base_url: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        page = http.get("/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return http.post("/accounts/login/", data={"csrfmiddlewaretoken": token, "username": "admin",
                                                   "password": password, "next": "/"}, headers={"Referer": base_url})


def test_bootstrap_prints_the_generated_admin_password_once(bootstrapped):
    first, second = bootstrapped
    assert len(PASSWORD_LINE.findall(first)) == 1
    assert "password" not in second


def test_a_fresh_start_serves_the_login_page_and_the_printed_password_signs_in(bootstrapped, daphne):
    password = PASSWORD_LINE.search(bootstrapped[0]).group(1)
    page = httpx.get(daphne + "/", timeout=10)
    assert page.status_code == 200
    assert 'name="password"' in page.text
    signed_in = sign_in(daphne, password)
    assert signed_in.status_code == 302 and signed_in.headers["location"] == "/"


@pytest.mark.django_db
def test_provisioning_adds_one_provider_per_key_variable_without_copying_the_key():
    from providers.models import Provider
    from providers.provisioning import provision_from_environment

    environ = {"GROQ_API_KEY": "gsk-secret-value-1234", "ANTHROPIC_API_KEY": "sk-ant-secret-5678", "UNRELATED": "x"}
    created = provision_from_environment(environ)
    assert sorted(p.slug for p in created) == ["anthropic", "groq"]
    groq = Provider.objects.get(slug="groq")
    assert (groq.api_key_env, groq.api_key_encrypted, groq.base_url) == ("GROQ_API_KEY", "", "https://api.groq.com/openai/v1")
    assert provision_from_environment(environ) == []


@pytest.mark.django_db
def test_provisioning_keeps_a_provider_an_admin_already_made_for_that_variable(provider):
    from providers.provisioning import provision_from_environment

    provider.api_key_env = "OPENAI_API_KEY"
    provider.save()
    assert provision_from_environment({"OPENAI_API_KEY": "sk-1"}) == []


@pytest.mark.django_db
def test_bootstrap_uses_the_superuser_variables_and_never_prints_that_password(monkeypatch, django_user_model):
    import io

    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-chosen-password-42")
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    assert django_user_model.objects.get(username="root").check_password("a-chosen-password-42")
    assert "a-chosen-password-42" not in out.getvalue()
