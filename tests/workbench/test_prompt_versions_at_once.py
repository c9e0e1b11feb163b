"""Saves of one prompt at the same moment each get their own number (a row lock on PostgreSQL, the unique
constraint and a retry elsewhere)."""
import threading

import pytest
from django.db import connection

from chat.workbench import prompts
from chat.workbench.models import Prompt, PromptVersion

VERSION = {"messages": [{"role": "user", "content": "Hi {{name}}"}]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises every write: nothing runs at once")
def test_saves_at_the_same_moment_get_consecutive_numbers(bob):
    prompt = prompts.create_prompt(bob, {"name": "Busy", **VERSION})
    start = threading.Barrier(4)
    failures = []

    def save():
        try:
            start.wait()
            prompts.add_version(Prompt.objects.get(pk=prompt.pk), bob, VERSION)
        except Exception as problem:  # noqa: BLE001 - reported below
            failures.append(problem)
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(PromptVersion.objects.filter(prompt=prompt).values_list("number", flat=True)) == [1, 2, 3, 4, 5]
