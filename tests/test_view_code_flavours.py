"""View code: JavaScript and raw httpx samples that run against each fake, and the request about to be sent."""
import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.fakes.registry import CASES, TEST_KEY
from tests.fakes.script import Reply
from tests.test_adapter_suite import ask, sample_adapter

pytestmark = pytest.mark.timeout(60)
NODE_MODULES = Path(__file__).parent / "browser" / "node_modules"


@pytest.fixture(params=CASES, ids=str)
def case(request):
    return request.param


@pytest.fixture
def fake(case):
    with case.fake_class() as server:
        yield server


async def _run(*command: str, stdin: bytes | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SAMPLE_KEY": TEST_KEY})
    out, err = await asyncio.wait_for(process.communicate(stdin), 30)
    assert process.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not on this machine")
async def test_the_javascript_sample_runs_with_node_and_streams_the_reply(fake, case, tmp_path):
    fake.enqueue(Reply.text_of("Node ran it.", pieces=1))
    samples = sample_adapter(case, fake).code_samples(ask(), "SAMPLE_KEY")
    if samples["javascript"].startswith('import OpenAI from "openai"'):
        # The SDK sample imports the npm package `openai`, pinned in tests/browser/package.json (make axe).
        if not (NODE_MODULES / "openai").is_dir():
            pytest.skip("the npm package `openai` is not installed: run `make axe`")
        (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    script = tmp_path / "sample.mjs"
    script.write_text(samples["javascript"])
    assert "Node ran it." in await _run("node", str(script))
    assert TEST_KEY not in samples["javascript"]


async def test_the_raw_httpx_sample_runs_and_streams_the_reply(fake, case):
    fake.enqueue(Reply.text_of("httpx ran it.", pieces=1))
    samples = sample_adapter(case, fake).code_samples(ask(), "SAMPLE_KEY")
    assert "httpx ran it." in await _run(sys.executable, "-c", samples["httpx"])
    assert TEST_KEY not in samples["httpx"]


@pytest.mark.django_db
def test_the_next_request_is_shown_before_the_first_message_with_the_panels_settings(client, alice, provider):
    client.force_login(alice)
    response = client.post("/api/code", {"conversation_id": None, "content": "What is 2+2?", "provider": "loopback",
                                         "model": "fake-model", "system": "Answer tersely.",
                                         "params": {"temperature": 0.1}}, content_type="application/json")
    assert response.status_code == 200
    sample = response.json()
    assert sample["body"]["messages"] == [{"role": "system", "content": "Answer tersely."},
                                          {"role": "user", "content": "What is 2+2?"}]
    assert sample["body"]["temperature"] == 0.1
    assert {"curl", "python", "httpx", "javascript"} <= set(sample)


@pytest.mark.django_db
def test_the_next_request_of_a_conversation_follows_its_branch_and_applies_fallbacks(client, alice, provider):
    from chat.models import Conversation, Message

    provider.provider_models.update(supports_json_schema=False)
    conversation = Conversation.objects.create(owner=alice, title="t", settings={"provider": "loopback"})
    Message.objects.create(conversation=conversation, role="user", content="Earlier question")
    client.force_login(alice)
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    sample = client.post("/api/code", {"conversation_id": conversation.pk, "content": "Now?", "response_format": {
        "type": "json_schema", "json_schema": {"name": "n", "schema": schema}}}, content_type="application/json").json()
    assert [m["content"] for m in sample["body"]["messages"]][-2:] == ["Earlier question", "Now?"]
    assert sample["fallback"] and "json_schema" not in json.dumps(sample["body"].get("response_format"))
