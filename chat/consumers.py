"""The chat websocket: validate a frame, authorize, hand off, relay frames.

Replies run as Generations (chat/generation.py), never inside a handler:
each handler returns quickly so cancel and disconnect are read at once.
"""
import asyncio
import contextlib

from chat import frames, generation, running, turns
from chat.access import readable_conversation
from chat.db import db, grouped, here_or_off
from chat.errors import Refused
from chat.mcp import runs as mcp_runs
from chat.sockets import PlaygroundSocket


class ChatConsumer(PlaygroundSocket):
    parsers = frames.PARSERS
    handlers = {
        "chat.send": "on_send",
        "chat.tool_result": "on_tool_result",
        "chat.regenerate": "on_regenerate",
        "chat.cancel": "on_cancel",
        "conversation.watch": "on_watch",
        "conversation.unwatch": "on_unwatch",
    }

    running_tools: set = set()  # MCP runs in flight in this process, held until they finish

    def group_for(self, conversation_id: int) -> str:
        return generation.group_name(conversation_id)

    # Handlers ------------------------------------------------------------------------

    async def on_send(self, frame):
        await self._start(turns.send, frame)

    async def on_tool_result(self, frame):
        if not mcp_runs.wanted(frame):
            await self._start(turns.tool_results, frame)
            return
        with contextlib.ExitStack() as hold:  # the conversation is held until the tools' turn is stored
            hold.enter_context(running.claim(frame["conversation_id"]))
            items = await db(mcp_runs.approved)(self.user, frame)  # checked now: a bad frame is answered at once
            about = {"request_id": frame["request_id"], "kind": frame["type"]}
            work = self._run_tools(frame, items, hold.pop_all())
            task = asyncio.create_task(self.answer(work, about))  # tools may be slow: the socket reads on
        self.running_tools.add(task)
        task.add_done_callback(self.running_tools.discard)

    async def _run_tools(self, frame, items, hold):
        """Run the approved MCP calls (their errors become their results), then go on like typed results."""
        with hold:
            contents = await mcp_runs.run(items)
            await self._start(turns.tool_results, mcp_runs.answered(frame, contents), claimed=True)

    async def on_regenerate(self, frame):
        await self._start(turns.regenerate, frame)

    async def _start(self, prepare, frame, claimed=False):
        """Plan the turn (on the loop when no query is needed), open each reply's upstream request, then, once
        the requests are written, store the turn off the loop; nothing of a reply is relayed before the turn is
        committed."""
        held = contextlib.nullcontext() if claimed else running.claim(frame.get("conversation_id"))
        with held, running.preparing(self.user.pk, frame["request_id"]) as cancels:
            planned = await here_or_off(prepare, self.user, frame)
            replies = [generation.Generation(job, self.channel_layer) for job in planned.jobs]
            for reply in replies:
                reply.open()
            try:
                await generation.until_sent(replies)
                turn = await grouped(planned.commit)
            except BaseException:
                for reply in replies:
                    reply.abandon()  # nothing was stored: the upstream requests are closed
                raise
            await self._begin(turn, frame["request_id"], replies)
            for reply in replies:  # stopped before it could be found: it ends now, cancelled, with its row
                if {frame["request_id"], reply.request_id} & cancels:
                    reply.cancel()

    async def _begin(self, turn, request_id: str, replies: list):
        conversation_id = turn.conversation["id"]
        await self.watch(conversation_id)
        if turn.created_conversation:
            await self.send_frame({"type": "conversation.created", "request_id": request_id,
                                   "conversation_id": conversation_id, "conversation": turn.conversation})
        for message in turn.messages:
            await generation.publish(self.channel_layer, conversation_id,
                                     {"type": "message.created", "request_id": request_id, "message": message})
        for reply in replies:
            await reply.announce()

    async def on_cancel(self, frame):
        reply = running.find(self.user.pk, frame["request_id"])
        if reply is None and running.cancel_preparing(self.user.pk, frame["request_id"]):
            return
        conversation_id = reply.job.conversation_id if reply else frame.get("conversation_id")
        if conversation_id is None:
            raise Refused("not_found", "No reply with that request_id is streaming here.")
        conversation = await db(readable_conversation)(self.user, conversation_id)  # hidden: not_found
        if not conversation.can_write(self.user):
            raise Refused("forbidden", "Only the conversation's owner can stop its replies.")
        if reply:
            reply.cancel()
        else:
            await generation.cancel_elsewhere(self.channel_layer, conversation_id, self.user.pk, frame["request_id"])

    async def on_watch(self, frame):
        conversation_id = frame["conversation_id"]
        stored = await db(turns.watch_state)(self.user, conversation_id)
        await self.watch(conversation_id)
        streaming = [live.snapshot() for live in running.in_conversation(conversation_id) if live.message_id]
        known = {s["message_id"] for s in streaming}
        streaming += [s for s in stored if s["message_id"] not in known]
        await self.send_frame({"type": "conversation.state", "conversation_id": conversation_id, "streaming": streaming})

    async def on_unwatch(self, frame):
        await self.unwatch(frame["conversation_id"])
