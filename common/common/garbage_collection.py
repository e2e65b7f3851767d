"""Python's cyclic garbage collector, set for a server that holds many long-lived objects.

A full collection walks every object the collector tracks, and CPython runs one whenever the
objects that survived younger collections have grown by a quarter since the last. A process whose
heap grows fast, as the order service's and the gateway's do when thousands of clients open their
live streams at once (a hundred objects or more per stream), pays that walk again and again, the
process standing still during each full collection, just when its clients need it most.

Two things, once the application is loaded (`prepare_for_serving`):

- `gc.freeze()`: what start-up made (modules, Django's and DRF's objects, URL patterns, settings:
  about 100,000 objects per process) lives as long as the process, so no collection walks it again.
- Larger thresholds (`GC_THRESHOLDS`): a young collection every `young` new objects instead of 700,
  so fewer of them find a request's objects still alive and promote them; the oldest generation is
  looked at after `young * middle * old` new objects. Garbage in cycles among long-lived objects
  (what a stream leaves when it ends) is then freed at the latest after that many objects, a
  bounded delay (tested), in exchange for far fewer walks of the whole heap.

Objects without cycles are freed by reference counting the moment they are no longer used, as
always; the collector only ever finds cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured

DEFAULT_THRESHOLDS = (10_000, 10, 10)


def thresholds(values: Sequence[str | int]) -> tuple[int, int, int]:
    """The three generations' thresholds from `GC_THRESHOLDS`, read with the settings (a bad value
    stops the start); all positive: a young threshold of 0 would turn automatic collection off, and
    cycles would never be freed."""
    try:
        parsed = tuple(int(value) for value in values)
    except ValueError as exc:
        raise ImproperlyConfigured(f"GC_THRESHOLDS must be three integers, got {list(values)!r}") from exc
    if len(parsed) != 3 or min(parsed) < 1:
        raise ImproperlyConfigured(f"GC_THRESHOLDS must be three positive integers, got {list(values)!r}")
    return parsed  # type: ignore[return-value]


def prepare_for_serving(generation_thresholds: tuple[int, int, int]) -> None:
    """Call once the application is loaded, before the first request (settings.GC_THRESHOLDS)."""
    gc.collect()  # start-up's own garbage goes now, not into the frozen generation
    gc.freeze()
    gc.set_threshold(*generation_thresholds)
