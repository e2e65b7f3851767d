"""A service's loop declarations as common/background.py reads them (BACKGROUND_LOOP_MODULES)."""

from common.background import Loop

passes = None  # the test's tests.test_background.Passes, set by the test


def _periodic() -> None:
    passes.run()


def _kicked() -> None:
    passes.on_kick()


LOOPS = (Loop("work", "TEST_LOOP_S", run=_periodic, on_kick=_kicked, replicas="a test's loop touches nothing shared"),)
