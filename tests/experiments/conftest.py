"""Experiment fixtures: providers with loopback fakes of their own, experiments, and running one to its end."""
import asyncio

import pytest
from channels.db import database_sync_to_async

from chat.experiments import runner, spec
from chat.models import Experiment, ExperimentBatch
from tests.conftest import loopback_provider
from tests.fakes.openai import OpenAIFake

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
          "required": ["name", "age"], "additionalProperties": False}
JSON_SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA, "strict": True}}
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


@pytest.fixture
def fakes():
    """Makes more loopback OpenAI fakes; closes them after the test."""
    made = []

    def make() -> OpenAIFake:
        fake = OpenAIFake()
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


@pytest.fixture
def add_provider(db):
    """An enabled provider on a fake, with one priced model; no retries, so a scripted failure is final."""

    def add(slug: str, fake: OpenAIFake, model: str = "fake-model", retries: int = 0, price=(1, 2)):
        return loopback_provider(fake.base_url, slug=slug, name=slug.title(), model=model, retries=retries,
                                 price=price)

    return add


def make_experiment(owner, targets: list[tuple[str, str]], **fields) -> Experiment:
    data = {"name": "Test experiment", "prompt": "Describe a person as JSON.", "repeats": 1, **fields,
            "targets": [{"provider": p, "model": m} for p, m in targets]}
    return Experiment.objects.create(owner=owner, **spec.clean(data))


async def run_to_end(experiment: Experiment, user, timeout: float = 20) -> ExperimentBatch:
    started = await runner.launch(experiment.pk, user)
    await asyncio.wait_for(asyncio.shield(started.task), timeout)
    return await database_sync_to_async(ExperimentBatch.objects.get)(pk=started.batch.pk)


def rows_of(batch: ExperimentBatch) -> list[dict]:
    from chat.experiments.export import ordered_rows

    return ordered_rows(batch)
