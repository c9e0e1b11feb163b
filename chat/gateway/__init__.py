"""The team gateway: personal API tokens, the OpenAI-compatible API under /v1, quotas, usage and audit."""
