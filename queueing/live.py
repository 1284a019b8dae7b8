"""Server-Sent Events under ASGI: one Redis subscription per process, fanned out in memory.

redis-py's async pool stops at 100 connections, and a database connection must not be held by an open
stream, so each client costs only an asyncio queue here. A client whose queue overflows is dropped; its
browser reconnects with Last-Event-ID and catches up from the Redis stream, then gets a fresh snapshot.
"""

import asyncio
import contextlib
import json
import logging
import signal
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.utils import translation

from queueing import events

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
HEARTBEAT = ("heartbeat", None)  # put in every stream's queue by the hub each HEARTBEAT_SECONDS
QUEUE_SIZE = 200
RETRY_MS = 1000
# Streams of a hall opened within this time share one snapshot, unless an event of the hall came between.
SHARED_SNAPSHOT_SECONDS = 1.0


class Hub:
    """Per-process fan-out of live events to the open streams, by hall."""

    def __init__(self):
        self.clients: dict[int, set[asyncio.Queue]] = defaultdict(set)
        self.task: asyncio.Task | None = None
        self.beat: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.generation: dict[int, int] = defaultdict(int)  # events dispatched per hall
        self.snapshots: dict[tuple, tuple[int, float, asyncio.Task]] = {}

    def subscribe(self, hall_id: int) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.loop is not loop:
            self.loop = loop
            self.task = loop.create_task(self._listen())
            self._end_streams_on_exit(loop)
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.clients[hall_id].add(queue)
        return queue

    def unsubscribe(self, hall_id: int, queue: asyncio.Queue) -> None:
        self.clients[hall_id].discard(queue)
        if not self.clients[hall_id]:
            del self.clients[hall_id]

    def dispatch(self, hall_id: int, event_id: str, event: dict) -> None:
        self.generation[hall_id] += 1
        clients = self.clients.get(hall_id)
        if not clients:
            return
        # The event's text once for all of the hall's streams (a thousand boards and phones), not once each.
        text = format_event(event_id, event["type"], event["data"])
        for queue in list(clients):
            try:
                queue.put_nowait((event_id, text))
            except asyncio.QueueFull:
                self._end(queue)
                self.unsubscribe(hall_id, queue)

    def keep_beating(self) -> None:
        """Start the heartbeats in this loop, for streams without a time limit (under ASGI: the loop lives as
        long as the process). A stream with a limit (under WSGI, in a loop of its own request) keeps its
        own time-out instead, so that no task outlives its request's loop."""
        loop = asyncio.get_running_loop()
        if self.beat is None or self.beat.done() or self.beat.get_loop() is not loop:
            self.beat = loop.create_task(self._beat())

    async def _beat(self) -> None:
        """A heartbeat to every stream each HEARTBEAT_SECONDS, from one timer: a stream waiting on its queue
        with a time-out of its own cost a task and a timer per stream and per event (asyncio.wait_for), a
        third of the CPU of an event's delivery to ten thousand streams."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for queues in list(self.clients.values()):
                for queue in list(queues):
                    with contextlib.suppress(asyncio.QueueFull):
                        queue.put_nowait(HEARTBEAT)

    async def _listen(self) -> None:
        """Keep one pattern subscription alive; reconnect after Redis restarts."""
        lost = False
        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(events.CHANNEL_PREFIX + "*")
                    if lost:
                        # Events published after Redis came back but before this subscription are in the
                        # Redis stream only: streams resume from there (docs/faults.md).
                        lost = False
                        self._wake_all()
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any Redis failure: wait and resubscribe
                log.warning("live subscription lost: %s; retrying", error)
                lost = True
                self._wake_all()
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    def _end_streams_on_exit(self, loop: asyncio.AbstractEventLoop) -> None:
        """On SIGTERM or SIGINT, end every stream at once. A stream never ends by itself, so uvicorn, asked to
        stop, waited its whole --timeout-graceful-shutdown (5 s in deploy/) for them and then cut them off;
        ended, they finish cleanly and the clients reconnect (after RETRY_MS, from their last event) to the
        next process. Wraps the handler the server installed (uvicorn's, which then stops the server as
        before); where none is installed (a plain script, the tests' event loop) nothing changes."""
        if threading.current_thread() is not threading.main_thread():
            return
        for number in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(number)
            if not callable(previous) or previous is signal.default_int_handler:
                continue  # no server's handler: Python's own
            if getattr(previous, "ends_streams", False):
                continue

            def handler(signum, frame, previous=previous):
                with contextlib.suppress(RuntimeError):  # the loop is closed already
                    loop.call_soon_threadsafe(self._wake_all)
                previous(signum, frame)

            handler.ends_streams = True
            signal.signal(number, handler)

    def _handle(self, message: dict) -> None:
        hall_id = int(message["channel"].decode().removeprefix(events.CHANNEL_PREFIX))
        event_id, _, payload = message["data"].decode().partition(" ")
        self.dispatch(hall_id, event_id, json.loads(payload))

    def _wake_all(self) -> None:
        """Events may have been missed: end every stream so that clients resume from the Redis stream."""
        self.snapshots.clear()
        for hall_id in list(self.clients):
            for queue in list(self.clients[hall_id]):
                self._end(queue)
            del self.clients[hall_id]

    async def shared_snapshot(self, hall_id: int, snapshot: Callable[[], Awaitable[dict]]) -> dict:
        """A snapshot for a stream that has just subscribed. After a restart every board and phone of a hall
        reconnects within a second or two, and one snapshot each made the last of a thousand streams wait
        half a minute (bench/RESULTS.md); streams opened together now share one, begun less than
        SHARED_SNAPSHOT_SECONDS ago and after the hall's latest event, in the same language."""
        loop = asyncio.get_running_loop()
        key = (hall_id, translation.get_language())
        generation = self.generation[hall_id]
        shared = self.snapshots.get(key)
        if (
            shared is None
            or shared[0] != generation
            or loop.time() - shared[1] > SHARED_SNAPSHOT_SECONDS
            or shared[2].get_loop() is not loop
            or (shared[2].done() and (shared[2].cancelled() or shared[2].exception() is not None))
        ):
            shared = (generation, loop.time(), asyncio.ensure_future(snapshot()))
            self.snapshots[key] = shared
        return await asyncio.shield(shared[2])

    @staticmethod
    def _end(queue: asyncio.Queue) -> None:
        """Replace whatever a client has not read with the end-of-stream marker."""
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)


hub = Hub()


def format_event(event_id: str | None, type_: str, data) -> str:
    lines = []
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {type_}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def database_call(function: Callable) -> Callable[..., Awaitable]:
    """Run a short ORM read in a worker thread and give its connection back at once, so that an open
    stream holds no database connection."""

    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return sync_to_async(run, thread_sensitive=False)


async def stream(
    hall_id: int,
    last_event_id: str | None,
    snapshot: Callable[[], Awaitable[dict]],
    seconds: float | None = None,
) -> AsyncIterator[str]:
    """The event stream of one client: missed events, a snapshot, then live events and heartbeats; for at
    most `seconds` when given (the browser reconnects after RETRY_MS and resumes from its last event)."""
    deadline = None if seconds is None else asyncio.get_running_loop().time() + seconds
    queue = hub.subscribe(hall_id)
    if deadline is None:
        hub.keep_beating()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        last = last_event_id
        if last:
            for event_id, event in await sync_to_async(events.since, thread_sensitive=False)(hall_id, last):
                yield format_event(event_id, event["type"], event["data"])
                last = event_id
        yield format_event(None, "snapshot", await hub.shared_snapshot(hall_id, snapshot))
        while True:
            if deadline is None:
                item = await queue.get()  # the hub's heartbeats wake it at least each HEARTBEAT_SECONDS
            else:
                wait = deadline - asyncio.get_running_loop().time()
                if wait <= 0:
                    return
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=min(wait, HEARTBEAT_SECONDS))
                except TimeoutError:
                    item = HEARTBEAT
            if item is HEARTBEAT:
                yield ": heartbeat\n\n"
                continue
            if item is None:
                return
            event_id, text = item
            if last and _not_after(event_id, last):
                continue  # already sent while catching up
            last = event_id
            yield text
    finally:
        hub.unsubscribe(hall_id, queue)


def _not_after(event_id: str, last: str) -> bool:
    def key(value: str) -> tuple[int, int]:
        ms, _, seq = value.partition("-")
        return int(ms), int(seq or 0)

    try:
        return key(event_id) <= key(last)
    except ValueError:
        return False
