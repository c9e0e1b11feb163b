"""The experiments websocket (/ws/experiments/): watch an experiment's run sets.

Client frames: `experiment.watch` {experiment_id} and `experiment.unwatch`.
On watch the client gets `experiment.state` (the newest run set as stored, plus
what is running, from the database: whichever process runs it), then the runner's frames: `experiment.batch`,
`experiment.run`, `experiment.progress`. Runs never depend on a socket.
"""
from chat import frames
from chat.db import db
from chat.experiments import cells, runner, views
from chat.models import Experiment
from chat.errors import Refused
from chat.sockets import PlaygroundSocket


def _state(user, experiment_id: int) -> dict | None:
    experiment = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    if experiment is None:
        return None
    return {**views.detail(experiment, user), "live": cells.live(experiment_id)}


def _experiment(frame: dict) -> dict:
    frames.check_field(frame, "experiment_id", frames.identifier, required=True, nullable=False)
    return frame


PARSERS = {"experiment.watch": _experiment, "experiment.unwatch": _experiment}


class ExperimentConsumer(PlaygroundSocket):
    parsers = PARSERS
    handlers = {"experiment.watch": "on_watch", "experiment.unwatch": "on_unwatch"}

    def group_for(self, experiment_id: int) -> str:
        return runner.group_name(experiment_id)

    async def on_watch(self, frame: dict):
        experiment_id = frame["experiment_id"]
        await self.watch(experiment_id)
        state = await db(_state)(self.user, experiment_id)
        if state is None:
            await self.unwatch(experiment_id)
            raise Refused("not_found", f"Experiment {experiment_id} does not exist.")
        state.update(type="experiment.state", experiment_id=experiment_id)
        await self.send_frame(state)

    async def on_unwatch(self, frame: dict):
        await self.unwatch(frame["experiment_id"])
