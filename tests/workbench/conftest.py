"""Workbench fixtures: a dataset of alice's, and JSON helpers for the endpoints."""
import json

import pytest

from chat.workbench.models import Dataset


@pytest.fixture
def dataset(alice):
    return Dataset.objects.create(owner=alice, name="Capitals", columns=["country"])


def send(client, method: str, url: str, data=None):
    return getattr(client, method)(url, json.dumps(data if data is not None else {}), content_type="application/json")
