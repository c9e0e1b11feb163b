"""The experiments websocket (/ws/experiments/): watch an experiment's run sets.

Client frames: `experiment.watch` {experiment_id} and `experiment.unwatch`.
On watch the client gets `experiment.state` (the newest run set as stored, plus
what this process knows live), then the runner's frames: `experiment.batch`,
`experiment.run`, `experiment.progress`. Runs never depend on a socket.
"""
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat.experiments import runner, views
from chat.models import Experiment

UNAUTHENTICATED = 4401


def _state(user, experiment_id: int) -> dict | None:
    experiment = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    return views.detail(experiment, user) if experiment else None


class ExperimentConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        self.watching: set[int] = set()

    async def disconnect(self, code):
        for experiment_id in getattr(self, "watching", ()):
            await self.channel_layer.group_discard(runner.group_name(experiment_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        frame = self._decode(text_data)
        if isinstance(frame, str):
            await self.send_error("bad_request", frame)
            return
        if frame["type"] == "experiment.watch":
            await self.on_watch(frame["experiment_id"])
        else:
            await self.on_unwatch(frame["experiment_id"])

    def _decode(self, text_data) -> dict | str:
        """The frame, or what is wrong with it."""
        if text_data is None:
            return "Frames are JSON text, not binary."
        if len(text_data.encode()) > settings.PLAYGROUND_MAX_FRAME_BYTES:
            return f"The frame is larger than {settings.PLAYGROUND_MAX_FRAME_BYTES} bytes."
        try:
            frame = json.loads(text_data)
        except ValueError:
            return "The frame is not valid JSON."
        if not isinstance(frame, dict) or frame.get("type") not in ("experiment.watch", "experiment.unwatch"):
            return "Send experiment.watch or experiment.unwatch."
        experiment_id = frame.get("experiment_id")
        if isinstance(experiment_id, bool) or not isinstance(experiment_id, int):
            return "`experiment_id` must be a number."
        return frame

    async def send_error(self, code: str, message: str):
        await self.send(text_data=json.dumps({"type": "error", "request_id": None, "code": code, "message": message}))

    async def chat_frame(self, event):
        """A runner's frame for a watched experiment, already encoded."""
        await self.send(text_data=event["text"])

    async def on_watch(self, experiment_id: int):
        if experiment_id not in self.watching:  # join first: a frame sent meanwhile arrives twice, never not at all
            self.watching.add(experiment_id)
            await self.channel_layer.group_add(runner.group_name(experiment_id), self.channel_name)
        state = await database_sync_to_async(_state)(self.user, experiment_id)
        if state is None:
            await self.on_unwatch(experiment_id)
            await self.send_error("not_found", f"Experiment {experiment_id} does not exist.")
            return
        live = runner.running(experiment_id)
        state.update(type="experiment.state", experiment_id=experiment_id, live=live.snapshot() if live else None)
        await self.send(text_data=json.dumps(state))

    async def on_unwatch(self, experiment_id: int):
        if experiment_id in self.watching:
            self.watching.discard(experiment_id)
            await self.channel_layer.group_discard(runner.group_name(experiment_id), self.channel_name)
