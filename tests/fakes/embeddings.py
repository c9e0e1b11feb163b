"""Embeddings the loopback fakes compute: deterministic, and alike for texts that share words.

Each word is hashed (with the model's name, so two models disagree a little)
to a few signed positions of the vector: texts that share words point the same
way, texts that share none are near orthogonal. Tokens are words. The checks
are the ones every real API makes: a known embedding model, a non-empty list
of non-empty texts.
"""
import hashlib
import re

EMBEDDING_MODELS = {"fake-embed": 16, "fake-embed-large": 24}  # model: dimensions
WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def vector(text: str, model: str) -> list[float]:
    size = EMBEDDING_MODELS[model]
    values = [0.0] * size
    for word in words(text):
        digest = hashlib.sha256(f"{model}|{word[:5]}".encode()).digest()
        for n in range(3):
            values[digest[n] % size] += 1.0 if digest[n + 3] % 2 else -1.0
    values[0] += 0.25  # no text is the zero vector
    return [round(v, 6) for v in values]


def tokens(texts: list[str]) -> int:
    return sum(max(1, len(words(text))) for text in texts)


def texts_problem(texts, model: str) -> str | None:
    """What a real embeddings API answers 400 to (None when the request is fine)."""
    if model not in EMBEDDING_MODELS:
        return f"The model {model!r} does not support embeddings."
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts:
        return "input must be a non-empty string or list of strings"
    for number, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            return f"input[{number}] must be a non-empty string"
    return None
