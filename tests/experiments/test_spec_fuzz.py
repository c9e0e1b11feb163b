"""Property-based: whatever JSON an experiment is submitted with, it is saved cleanly or refused with a reason."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chat.experiments import spec
from tests.experiments.conftest import JSON_SCHEMA_FORMAT, WEATHER_TOOL

pytestmark = pytest.mark.django_db

TEXT = st.text(max_size=8) | st.sampled_from(["²", "٣", " 7 ", "1e3", "\u00a0"])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=10)
COUNT = st.integers(-1, 60) | st.sampled_from(["2", " 7 ", "²", "٣", "x", ""])
GOOD = {
    "name": TEXT, "system": TEXT, "prompt": st.just("Describe a person.") | TEXT,
    "messages": st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": TEXT}),
                         max_size=2).map(lambda turns: [*turns, {"role": "user", "content": "And now?"}]),
    "tools": st.just([WEATHER_TOOL]), "tool_choice": st.sampled_from(["auto", "none", "required"]),
    "response_format": st.just(JSON_SCHEMA_FORMAT), "params": st.just({"temperature": 0.5}),
    "targets": st.just([{"provider": "loopback", "model": "fake-model"}]) | st.lists(st.fixed_dictionaries(
        {"provider": st.sampled_from(["loopback", "nope"]), "model": st.sampled_from(["fake-model", "", "other"])}),
        min_size=1, max_size=2),
    "repeats": COUNT, "concurrency": COUNT,
}


@st.composite
def submissions(draw):
    """A submission with some fields left out and up to two holding any JSON."""
    broken = draw(st.sets(st.sampled_from(list(GOOD)), max_size=2))
    data = {}
    for name, good in GOOD.items():
        if name in broken:
            data[name] = draw(JSON)
        elif name in ("prompt", "targets") or draw(st.booleans()):
            data[name] = draw(good)
    return data


def test_any_submission_is_cleaned_or_refused_with_a_reason(provider):
    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(submissions())
    def check(data):
        try:
            cleaned = spec.clean(data)
        except spec.Invalid as invalid:
            assert str(invalid)
        else:
            assert cleaned["targets"] and 1 <= cleaned["repeats"] <= 50

    check()
