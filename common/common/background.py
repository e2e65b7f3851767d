"""Background loops: each service's periodic work, named, declared with its period, run in one place.

A service declares its loops in a module named by BACKGROUND_LOOP_MODULES (`deliveries/background.py`
declares `LOOPS`), each a `Loop`: a name, the setting that holds its period (0 switches it off), the
pass it runs, optionally a lighter pass a kick asks for, and why it is safe in several replicas,
which every loop must be: every replica, and every uvicorn worker of one, runs its own.

The rules:
- **Started in one place.** The ASGI entry point starts them at the lifespan's startup and stops
  them at its shutdown (`serving`, run with `uvicorn --lifespan on`); `manage.py run_workers` runs
  them in the foreground instead. Never from `AppConfig.ready`: importing the project, running a
  management command or a test starts nothing.
- **Off the event loop and off the request.** Each loop has a thread of its own; a pass runs there
  and nowhere else. A request or the event loop only kicks a loop (`kick`), which costs a lock and a
  notify; a sync request may wait a moment for the pass it asked for (`wait_s`), never run it.
- **Periodic and kickable.** A loop runs a pass every period; a kick asks for one soon (a new order
  for dispatch). Kicks that arrive while a pass runs are merged into the next one, and a loop may
  declare a gap: its kicked passes then start at least that long after the last pass ended. A loop that is
  not running in this process (switched off, or run by `run_workers` elsewhere) drops the kick: its
  next periodic pass, wherever it runs, does the work (every loop is level-triggered).
- **A failing pass does not stop the loop**: it is logged, and the next pass comes at its time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

logger = logging.getLogger(__name__)

SHUTDOWN_WAIT_S = 3.0


@dataclass(frozen=True)
class Loop:
    name: str
    period_setting: str  # the setting (and env var) with its period in seconds; 0 switches it off
    run: Callable[[], object]  # one periodic pass
    replicas: str  # why running in every replica (and every worker) at once is safe
    on_kick: Callable[[], object] | None = None  # the pass a kick asks for; None: `run`
    # The setting with the least time between a pass's end and the next kicked pass's start; None: no
    # gap. A loop whose pass is costly (a plan of the whole city) kicked many times a second would
    # otherwise run pass after pass; with a gap the kicks that come meanwhile share one pass.
    kick_gap_setting: str | None = None

    def period_s(self) -> float:
        return float(getattr(settings, self.period_setting))

    def kick_gap_s(self) -> float:
        return float(getattr(settings, self.kick_gap_setting)) if self.kick_gap_setting else 0.0


class _Running:
    """One loop's thread: a pass every period, or soon after a kick, until it is stopped."""

    def __init__(self, loop: Loop, period_s: float):
        self.loop = loop
        self.period_s = period_s
        self.changed = threading.Condition()
        self.requested = 0  # kicks so far
        self.completed = 0  # kicks served by a finished pass
        self.stopping = False
        self.ended = float("-inf")  # when the last pass ended (monotonic)
        self.thread = threading.Thread(target=self._run, name=f"loop-{loop.name}", daemon=True)

    def kick(self, wait_s: float) -> None:
        with self.changed:
            self.requested += 1
            ticket = self.requested
            self.changed.notify_all()
            if wait_s > 0:
                self.changed.wait_for(lambda: self.completed >= ticket or self.stopping, timeout=wait_s)

    def stop(self, timeout_s: float) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()
        self.thread.join(timeout_s)  # a pass under way ends first; a daemon thread never holds up an exit

    def _run(self) -> None:
        due = time.monotonic() + self.period_s
        while True:
            with self.changed:
                self.changed.wait_for(
                    lambda: self.stopping or self.requested > self.completed, timeout=max(0.0, due - time.monotonic())
                )
                if self.stopping:
                    return
                kicked = self.requested > self.completed
                if kicked:
                    # A kicked pass waits out the gap after the last pass; the kicks meanwhile join it.
                    not_before = self.ended + self.loop.kick_gap_s()
                    self.changed.wait_for(lambda: self.stopping, timeout=max(0.0, not_before - time.monotonic()))
                    if self.stopping:
                        return
                serving = self.requested
            passes = []
            if not kicked or time.monotonic() >= due:
                due = time.monotonic() + self.period_s
                passes.append(self.loop.run)
            # The periodic pass serves kicks only when it is the kicked pass too: the dispatch loop's
            # reconciler does not give out orders under `routes`, so a kick taken as served by it
            # left a new order for the next plan.
            if kicked and (self.loop.on_kick is not None or not passes):
                passes.append(self.loop.on_kick or self.loop.run)
            try:
                for one_pass in passes:
                    try:
                        one_pass()
                    except Exception:  # the loop outlives any single failure; the next pass comes at its time
                        logger.exception("background pass failed", extra={"loop": self.loop.name})
            finally:
                with self.changed:
                    self.ended = time.monotonic()
                    self.completed = max(self.completed, serving)
                    self.changed.notify_all()


class Runner:
    """The loops of one process."""

    def __init__(self, loops: Iterable[Loop]):
        self.loops = {loop.name: loop for loop in loops}
        self.running: dict[str, _Running] = {}

    def start(self) -> list[str]:
        """Starts every loop whose period is above 0; answers their names."""
        for name, loop in self.loops.items():
            if name not in self.running and (period_s := loop.period_s()) > 0:
                self.running[name] = running = _Running(loop, period_s)
                running.thread.start()
                logger.info("background loop started", extra={"loop": name, "period_s": period_s})
        return list(self.running)

    def kick(self, name: str, *, wait_s: float = 0.0) -> bool:
        """Asks the named loop for a pass soon, waiting up to `wait_s` for it; False when the loop
        does not run in this process (nothing is run here then)."""
        if name not in self.loops:
            raise KeyError(f"no background loop named {name!r}")
        running = self.running.get(name)
        if running is None:
            return False
        running.kick(wait_s)
        return True

    def stop(self, timeout_s: float = 10.0) -> None:
        running, self.running = self.running, {}
        for loop in running.values():
            loop.stop(timeout_s)


def declared_loops() -> list[Loop]:
    """The loops of this service, as its BACKGROUND_LOOP_MODULES declare them."""
    return [loop for module in settings.BACKGROUND_LOOP_MODULES for loop in import_module(module).LOOPS]


_lock = threading.Lock()
_runner: Runner | None = None


def start(loops: Iterable[Loop] | None = None) -> Runner:
    """Starts this process's loops (the declared ones unless given); one runner per process."""
    global _runner  # noqa: PLW0603 (the process's one runner)
    with _lock:
        if _runner is None:
            _runner = Runner(declared_loops() if loops is None else loops)
            _runner.start()
        return _runner


def stop(timeout_s: float = 10.0) -> None:
    global _runner
    with _lock:
        runner, _runner = _runner, None
    if runner is not None:
        runner.stop(timeout_s)


def kick(name: str, *, wait_s: float = 0.0) -> bool:
    """Asks this process's loop `name` for a pass soon (see `Runner.kick`); never runs it here."""
    runner = _runner
    return runner.kick(name, wait_s=wait_s) if runner is not None else False


def serving(application):
    """The ASGI application with this process's loops started at the lifespan's startup and stopped
    at its shutdown; every other scope goes to `application`."""

    async def app(scope, receive, send):
        if scope["type"] != "lifespan":
            await application(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    start()
                except Exception as exc:
                    logger.exception("background loops not started")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # A pass under way may finish, briefly and off the event loop: a pod's grace period
                # (Helm: preStop 5 s, uvicorn 20 s, then this) must still cover it. One cut short is
                # finished by the next pass anywhere (every loop is level-triggered).
                await asyncio.to_thread(stop, SHUTDOWN_WAIT_S)
                await send({"type": "lifespan.shutdown.complete"})
                return

    return app
