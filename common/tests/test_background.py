"""Background loops (common/background.py): their periods, kicks, failures and stopping, with real
threads. Conditions are waited on with generous deadlines, never asserted as time bands."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from common import background
from common.background import Loop, Runner

SAFE = "a test's loop touches nothing shared"


class Passes:
    """A loop's passes, counted by kind; a pass may be held at a gate until the test lets it go."""

    def __init__(self):
        self.periodic = 0
        self.kicked = 0
        self.threads: set[str] = set()
        self.changed = threading.Condition()
        self.gate: threading.Event | None = None
        self.failures = 0  # passes still to fail

    def _pass(self, kind: str) -> None:
        with self.changed:
            setattr(self, kind, getattr(self, kind) + 1)
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()
        if self.gate is not None:
            self.gate.wait(10)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("this pass fails")

    def run(self) -> None:
        self._pass("periodic")

    def on_kick(self) -> None:
        self._pass("kicked")

    def wait_until(self, condition, timeout_s: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: condition(self), timeout=timeout_s)


@pytest.fixture
def passes():
    return Passes()


@pytest.fixture
def runner(settings, passes):
    """A runner of one loop, "work", with a kicked pass of its own; its period is TEST_LOOP_S."""
    settings.TEST_LOOP_S = 3600.0
    made = Runner([Loop("work", "TEST_LOOP_S", passes.run, SAFE, on_kick=passes.on_kick)])
    yield made
    if passes.gate is not None:
        passes.gate.set()
    made.stop()


def gapped_runner(settings, passes, *, period_s: float, gap_s: float) -> Runner:
    """A runner of one loop, "work", whose kicked passes are spaced by `gap_s`."""
    settings.TEST_LOOP_S = period_s
    settings.TEST_KICK_GAP_S = gap_s
    return Runner(
        [Loop("work", "TEST_LOOP_S", passes.run, SAFE, on_kick=passes.on_kick, kick_gap_setting="TEST_KICK_GAP_S")]
    )


def test_a_loop_runs_at_its_period_on_a_thread_of_its_own(runner, passes, settings):
    settings.TEST_LOOP_S = 0.05

    assert runner.start() == ["work"]
    assert passes.wait_until(lambda p: p.periodic >= 3)
    assert passes.kicked == 0
    assert passes.threads == {"loop-work"}


def test_a_loop_waits_a_whole_period_before_its_first_pass(runner, passes):
    runner.start()

    assert not passes.wait_until(lambda p: p.periodic > 0, timeout_s=0.3)  # its period is an hour


def test_a_kick_runs_the_kicked_pass_soon_and_a_waiting_kicker_sees_it_done(runner, passes):
    runner.start()

    assert runner.kick("work", wait_s=10)  # returns once the pass it asked for is over

    assert (passes.kicked, passes.periodic) == (1, 0)


def test_kicks_during_a_pass_are_merged_into_the_next_one(runner, passes):
    runner.start()
    passes.gate = threading.Event()
    runner.kick("work")
    assert passes.wait_until(lambda p: p.kicked == 1)  # the first pass is under way, held

    for _ in range(5):
        runner.kick("work")
    waiter = threading.Thread(target=runner.kick, args=("work",), kwargs={"wait_s": 10})
    waiter.start()
    passes.gate.set()
    waiter.join(10)

    assert not waiter.is_alive()
    assert passes.kicked == 2  # the held pass, then one for the seven kicks that came meanwhile
    assert not passes.wait_until(lambda p: p.kicked > 2, timeout_s=0.3)


def test_kicked_passes_are_spaced_by_the_loops_gap_the_first_runs_at_once(settings, passes):
    # Under a burst of kicks (ten orders a second) a loop with a gap runs its kicked pass at most once
    # per gap after the previous one ended: the kicks that came meanwhile share the next pass.
    runner = gapped_runner(settings, passes, period_s=3600.0, gap_s=0.5)
    runner.start()
    try:
        started = time.monotonic()
        runner.kick("work", wait_s=10)
        first_s = time.monotonic() - started
        kicked_at = time.monotonic()
        for _ in range(20):
            runner.kick("work")
            time.sleep(0.01)
        assert not passes.wait_until(lambda p: p.kicked > 1, timeout_s=0.2)  # within the gap: none yet
        assert passes.wait_until(lambda p: p.kicked == 2)  # then one for all twenty
        second_s = time.monotonic() - kicked_at
        assert not passes.wait_until(lambda p: p.kicked > 2, timeout_s=0.8)
    finally:
        runner.stop()

    assert first_s < 0.4  # the first kick after a quiet spell is served at once
    assert second_s >= 0.45
    assert passes.periodic == 0


def test_a_kick_is_served_by_the_kicked_pass_even_when_the_periodic_pass_falls_due_first(settings, passes):
    # The dispatch loop's periodic pass (the reconciler) does not give out orders under `routes`: a
    # kick that waited out its gap past the periodic pass's time must still get the pass it asked for
    # (it was taken as served by the reconciler's pass, and a new order waited for the next plan).
    runner = gapped_runner(settings, passes, period_s=0.3, gap_s=1.0)
    runner.start()
    try:
        assert passes.wait_until(lambda p: p.periodic == 1)
        runner.kick("work")  # within the gap after that pass, and the next periodic pass comes first

        assert passes.wait_until(lambda p: p.kicked == 1, timeout_s=5)
    finally:
        runner.stop()


def test_stopping_does_not_wait_out_a_kicked_passes_gap(settings, passes):
    runner = gapped_runner(settings, passes, period_s=3600.0, gap_s=3600.0)
    runner.start()
    runner.kick("work", wait_s=10)
    runner.kick("work")  # deferred by an hour's gap
    started = time.monotonic()
    runner.stop(timeout_s=10)

    assert time.monotonic() - started < 5
    assert passes.kicked == 1


def test_a_loop_without_a_pass_of_its_own_for_kicks_runs_its_periodic_pass(settings, passes):
    settings.TEST_LOOP_S = 3600.0
    runner = Runner([Loop("work", "TEST_LOOP_S", passes.run, SAFE)])
    runner.start()
    try:
        runner.kick("work", wait_s=10)
    finally:
        runner.stop()

    assert (passes.periodic, passes.kicked) == (1, 0)


def test_a_failing_pass_does_not_stop_the_loop(runner, passes, caplog):
    runner.start()
    passes.failures = 1

    with caplog.at_level(logging.ERROR, logger="common.background"):
        runner.kick("work", wait_s=10)
        runner.kick("work", wait_s=10)

    assert passes.kicked == 2
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failures] == ["background pass failed"]
    assert failures[0].exc_info[0] is RuntimeError


def test_stopping_lets_the_pass_under_way_finish_then_ends_the_thread(runner, passes):
    runner.start()
    passes.gate = threading.Event()
    runner.kick("work")
    assert passes.wait_until(lambda p: p.kicked == 1)
    thread = runner.running["work"].thread

    stopper = threading.Thread(target=runner.stop)
    stopper.start()
    time.sleep(0.05)
    still_running = thread.is_alive()
    passes.gate.set()
    stopper.join(10)

    assert still_running  # stop never cuts a pass short
    assert not thread.is_alive()
    assert runner.kick("work") is False  # stopped: a kick runs nothing, here or there
    assert passes.kicked == 1


def test_a_loop_switched_off_is_not_started_and_a_kick_runs_nothing_here(runner, passes, settings):
    settings.TEST_LOOP_S = 0

    assert runner.start() == []
    assert runner.kick("work", wait_s=0.2) is False
    assert (passes.periodic, passes.kicked) == (0, 0)


def test_a_kick_for_a_loop_nobody_declared_is_a_mistake(runner):
    with pytest.raises(KeyError):
        runner.kick("no-such-loop")


def test_the_asgi_lifespan_starts_and_stops_the_declared_loops(settings, passes):
    """What `uvicorn --lifespan on` does with a service's application (common.asgi)."""
    settings.TEST_LOOP_S = 3600.0
    settings.BACKGROUND_LOOP_MODULES = ["tests.loops"]
    from tests import loops

    loops.passes = passes
    served = []

    async def application(scope, receive, send):
        served.append(scope["type"])

    app = background.serving(application)

    async def lifespan():
        inbox = asyncio.Queue()
        sent = []
        for message in ({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}):
            inbox.put_nowait(message)

        async def send(message):
            sent.append(message["type"])
            if message["type"] == "lifespan.startup.complete":
                kicked.append(await asyncio.to_thread(background.kick, "work", wait_s=10))

        kicked: list[bool] = []
        await app({"type": "lifespan"}, inbox.get, send)
        await app({"type": "http"}, inbox.get, send)
        return sent, kicked

    sent, kicked = asyncio.run(lifespan())

    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert kicked == [True]
    assert passes.kicked == 1
    assert background.kick("work") is False  # stopped with the server
    assert served == ["http"]
