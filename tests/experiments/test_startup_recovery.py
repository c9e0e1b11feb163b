"""Start-up recovery of run sets left running: the embedded server leaves them to the Resume button, workers
carry on with them (cells cut off mid-run go back to pending, finished ones are kept)."""
import pytest

from chat import recovery
from chat.models import ExperimentBatch, ExperimentRun
from tests.experiments.conftest import make_experiment

pytestmark = pytest.mark.django_db


def _left_running(alice) -> ExperimentBatch:
    experiment = make_experiment(alice, [("loopback", "fake-model")], repeats=3)
    batch = ExperimentBatch.objects.create(experiment=experiment, number=1, started_by=alice, spec=experiment.spec(),
                                           total=3)
    for repeat, status in enumerate(("complete", "running", "pending"), start=1):
        ExperimentRun.objects.create(batch=batch, provider="loopback", model="fake-model", repeat=repeat,
                                     status=status, output="half" if status != "pending" else "")
    return batch


def test_the_embedded_server_marks_them_interrupted_for_the_resume_button(alice, provider):
    batch = _left_running(alice)
    assert recovery.mark_interrupted_runs() == 2
    batch.refresh_from_db()
    assert batch.status == "interrupted"
    assert [r.status for r in batch.runs.order_by("repeat")] == ["complete", "interrupted", "interrupted"]


def test_with_workers_they_stay_running_and_cut_off_cells_are_pending_again(alice, provider, settings):
    settings.PLAYGROUND_EXPERIMENT_WORKERS = True
    batch = _left_running(alice)
    assert recovery.mark_interrupted_runs() == 1
    batch.refresh_from_db()
    assert batch.status == "running"
    runs = list(batch.runs.order_by("repeat"))
    assert [r.status for r in runs] == ["complete", "pending", "pending"]
    assert runs[0].output == "half" and runs[1].output == ""  # a finished cell is kept, a cut-off one starts over
