"""The experiments websocket (/ws/experiments/): watch an experiment's run sets.

Client frames: `experiment.watch` {experiment_id} and `experiment.unwatch`.
On watch the client gets `experiment.state` (the newest run set as stored, plus
what this process knows live), then the runner's frames: `experiment.batch`,
`experiment.run`, `experiment.progress`. Runs never depend on a socket.
"""
from chat.db import db
from chat.experiments import runner, views
from chat.models import Experiment
from chat.errors import BadFrame
from chat.sockets import PlaygroundSocket


def _state(user, experiment_id: int) -> dict | None:
    experiment = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    return views.detail(experiment, user) if experiment else None


class ExperimentConsumer(PlaygroundSocket):
    def group_for(self, experiment_id: int) -> str:
        return runner.group_name(experiment_id)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            frame = _parse(self.decode(text_data))
        except BadFrame as error:
            await self.send_error("bad_request", str(error))
            return
        if frame["type"] == "experiment.watch":
            await self.on_watch(frame["experiment_id"])
        else:
            await self.unwatch(frame["experiment_id"])

    async def on_watch(self, experiment_id: int):
        await self.watch(experiment_id)
        state = await db(_state)(self.user, experiment_id)
        if state is None:
            await self.unwatch(experiment_id)
            await self.send_error("not_found", f"Experiment {experiment_id} does not exist.")
            return
        live = runner.running(experiment_id)
        state.update(type="experiment.state", experiment_id=experiment_id, live=live.snapshot() if live else None)
        await self.send_frame(state)


def _parse(frame) -> dict:
    if not isinstance(frame, dict) or frame.get("type") not in ("experiment.watch", "experiment.unwatch"):
        raise BadFrame("Send experiment.watch or experiment.unwatch.")
    experiment_id = frame.get("experiment_id")
    if isinstance(experiment_id, bool) or not isinstance(experiment_id, int):
        raise BadFrame("`experiment_id` must be a number.")
    return frame
