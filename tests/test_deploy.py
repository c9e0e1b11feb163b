"""The documented server setup is secure by Django's own deployment checks, and pages carry the CSP."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {"SECRET_KEY": lambda: secrets.token_urlsafe(50),
           "PLAYGROUND_ENCRYPTION_KEYS": lambda: Fernet.generate_key().decode()}


def documented_environment() -> dict:
    """The variables of docs/deployment.md's server environment, its `...` secrets filled in."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    block = text.split("## One machine")[0]
    variables = dict(re.findall(r"^    ([A-Z_]+)=(\S+)$", block, re.MULTILINE))
    assert {"DEBUG", "BEHIND_HTTPS_PROXY", "SECURE_HSTS_SECONDS"} <= variables.keys()
    return {name: SECRETS[name]() if value == "..." else value for name, value in variables.items()}


def test_check_deploy_has_no_warnings_with_exactly_the_documented_environment():
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(documented_environment())
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_allowing_only_the_sites_own_scripts(client, bob):
    for response in (client.get("/"), client.get("/admin/login/")):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "default-src 'self'" in policy
        assert "unsafe-inline" not in policy.replace("style-src-attr 'unsafe-inline'", "")
        assert "connect-src 'self' ws://testserver" in policy
    client.force_login(bob)
    page = client.get("/")
    assert "Content-Security-Policy" in page
    html = page.content.decode()
    # every script the page runs is a file of the site (JSON data blocks are not run)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/static/' in s or 'type="application/json"' in s for s in scripts)
    assert not re.search(r"\son[a-z]+=", html)
