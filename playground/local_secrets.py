"""Development secrets generated once into a git-ignored file.

Only used when the environment does not set the value and does not declare a
server with DEBUG=False, so a fresh checkout and the tests run without
configuration while production must be explicit.
"""
import json
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

GENERATORS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "PLAYGROUND_ENCRYPTION_KEYS": lambda: Fernet.generate_key().decode(),
}


def dev_secret(path: Path, name: str) -> str:
    """Return the stored development value of `name`, creating it on first use."""
    stored = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = GENERATORS[name]()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return stored[name]
