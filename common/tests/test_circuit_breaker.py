"""The circuit breaker's states, driven by a fake clock (pure logic, no I/O)."""

from common.circuit_breaker import CircuitBreaker


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _breaker(clock):
    return CircuitBreaker(failure_threshold=3, reset_timeout_s=10, clock=clock)


def _opened_at_zero(clock) -> CircuitBreaker:
    """A breaker that opened at time 0, after its threshold of three failures."""
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    return breaker


def test_opens_after_threshold_consecutive_failures():
    breaker = _breaker(Clock())
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()

    assert breaker.state == "open"
    assert not breaker.allow()


def test_a_success_resets_the_failure_count():
    breaker = _breaker(Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()

    assert breaker.state == "closed"


def test_half_open_lets_one_trial_through_after_the_timeout():
    clock = Clock()
    breaker = _opened_at_zero(clock)
    clock.now = 10.5

    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the trial's outcome


def test_a_failed_trial_opens_it_again_and_a_good_one_closes_it():
    clock = Clock()
    breaker = _opened_at_zero(clock)
    clock.now = 11
    breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert breaker.retry_after_s() == 10

    clock.now = 22
    breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"


def test_half_open_may_let_several_trials_through_at_once():
    """For streams: after a storm, recovery should not go one connection at a time."""
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=10, clock=clock, half_open_trials=3)
    breaker.record_failure()
    clock.now = 10

    assert [breaker.allow() for _ in range(4)] == [True, True, True, False]
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_a_failed_trial_opens_it_again_even_with_several_trials():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=10, clock=clock, half_open_trials=3)
    breaker.record_failure()
    clock.now = 10
    breaker.allow()
    breaker.allow()

    breaker.record_failure()

    assert breaker.state == "open"
    assert not breaker.allow()


def test_each_transition_is_logged_once(caplog):
    """Opening, opening again after a failed trial, and closing: one line each, however many calls
    fail or are refused in between."""
    import logging

    caplog.set_level(logging.INFO, logger="common.circuit_breaker")
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10, clock=clock, name="order")
    for _ in range(5):  # two more failures land after it opened (calls already in flight)
        breaker.record_failure()
    for _ in range(3):
        breaker.allow()  # refused
    clock.now = 11
    assert breaker.allow()
    breaker.record_failure()  # the trial failed
    clock.now = 22
    assert breaker.allow()
    breaker.record_success()
    breaker.record_success()

    assert [(r.getMessage(), r.upstream) for r in caplog.records] == [
        ("circuit opened", "order"),
        ("circuit opened", "order"),
        ("circuit closed", "order"),
    ]
