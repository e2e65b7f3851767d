"""Admission of live streams (common/streams/admission.py): a process's places and the user's slots,
given back exactly once; the refusals the services and the gateway answer with."""

from __future__ import annotations

import asyncio
import threading

from common.streams import admission


def test_a_process_admits_up_to_its_ceiling_then_says_why_not(settings):
    settings.SSE_MAX_STREAMS_PER_PROCESS = 2
    settings.SSE_MAX_OPENING_PER_PROCESS = 10
    process = admission.ProcessStreams(descriptors_each=1)

    first, second = process.take(), process.take()
    refused = process.take()
    first.release()
    third = process.take()

    assert isinstance(first, admission.Ticket)
    assert isinstance(second, admission.Ticket)
    assert refused == admission.FULL
    assert isinstance(third, admission.Ticket)
    assert (process.open, process.opening) == (2, 2)


def test_streams_still_opening_are_bounded_apart_from_open_ones(settings):
    settings.SSE_MAX_STREAMS_PER_PROCESS = 10
    settings.SSE_MAX_OPENING_PER_PROCESS = 1
    process = admission.ProcessStreams(descriptors_each=1)

    opening = process.take()
    refused = process.take()
    opening.opened()
    after = process.take()

    assert refused == admission.OPENING
    assert isinstance(after, admission.Ticket)
    assert (process.open, process.opening) == (2, 1)


def test_a_ticket_is_given_back_once_however_many_ends_it_has(settings):
    """A stream ends by its generator's end and by Django's close(), on the loop and on a thread."""
    process = admission.ProcessStreams(descriptors_each=1)
    tickets = [process.take() for _ in range(50)]

    threads = [threading.Thread(target=ticket.release) for ticket in tickets for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (process.open, process.opening) == (0, 0)


def test_a_ticket_s_user_slot_is_given_back_with_it(settings, redis_client):
    settings.SSE_MAX_STREAMS_PER_USER = 1
    process = admission.ProcessStreams(descriptors_each=1)

    async def scenario():
        first = process.take()
        taken = await first.take_user_slot("u1")
        refused_wait_s = await process.take().take_user_slot("u1")
        first.release()  # the slot goes back in a task of its own: wait for it
        again = process.take()
        for _ in range(100):
            if await again.take_user_slot("u1") == 0:
                break
            await asyncio.sleep(0.05)
        return taken, refused_wait_s, again.slot is not None

    taken, refused_wait_s, again = asyncio.run(scenario())

    assert taken == 0
    assert refused_wait_s >= 1
    assert again


def test_the_gateway_counts_two_descriptors_per_stream(settings):
    """Each relayed stream holds the client's connection and the upstream's."""
    import resource

    from common import open_files

    settings.SSE_MAX_STREAMS_PER_PROCESS = 10**9
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)

    relayed = admission.ProcessStreams(descriptors_each=2).ceiling()
    served = admission.ProcessStreams(descriptors_each=1).ceiling()

    assert relayed == max(1, (soft - open_files.RESERVED) // 2)
    assert served == max(1, soft - open_files.RESERVED)
