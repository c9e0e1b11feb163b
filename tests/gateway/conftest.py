"""The gateway against a live Daphne on the test database, called with the official `openai` SDK.

Tests here use `transactional_db`: the server sees only committed rows.
"""
import pytest

from tests.live import daphne, server_env


@pytest.fixture(scope="session")
def gateway_url(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        db = dict(connection.settings_dict)
    with daphne(server_env(db), "daphne-gateway") as url:
        yield url


@pytest.fixture
def personal_token(transactional_db):
    """make(user, **options) -> the whole token string, as `tokens create` prints it."""
    from chat.gateway import tokens

    def make(user, name: str = "laptop", **options) -> str:
        return tokens.create(user, name, **options)[1]
    return make


@pytest.fixture
def client_for(gateway_url):
    """An OpenAI SDK client on the gateway with a token; no SDK retries, so each status is seen as sent."""
    from openai import OpenAI

    def make(token: str):
        return OpenAI(base_url=f"{gateway_url}/v1", api_key=token, max_retries=0, timeout=20)
    return make
