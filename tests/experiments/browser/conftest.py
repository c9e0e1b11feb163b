"""The browser fixtures and hooks of tests/browser (live Daphne, Chromium), for the experiments page."""
from tests.browser.conftest import *  # noqa: F401,F403  (fixtures and the hooks that go with them)
