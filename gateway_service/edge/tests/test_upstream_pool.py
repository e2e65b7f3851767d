"""Ordinary calls go over pooled keep-alive connections (edge/upstream_pool.py), against the real
echo upstream: reused while they may be, never once they may not."""

import asyncio
import json

from django.test import AsyncClient


def _get_all(paths, *, pause_s: float = 0.0):
    async def scenario():
        answers = []
        for path in paths:
            response = await AsyncClient().get(path, headers={"Accept": "application/json"})
            answers.append((response.status_code, response.content))
            await asyncio.sleep(pause_s)
        return answers

    return scenario()


def test_calls_in_a_row_share_one_connection(echo, run_async):
    answers = run_async(_get_all(["/restaurants/a", "/restaurants/b", "/restaurants/c"]))

    assert [status for status, _ in answers] == [200, 200, 200]
    assert [json.loads(body)["path"] for _, body in answers] == ["/restaurants/a", "/restaurants/b", "/restaurants/c"]
    assert len(echo.ports) == 3
    assert len(set(echo.ports)) == 1


def test_a_connection_idle_past_the_expiry_is_not_used_again(echo, run_async, settings):
    settings.HTTP_KEEPALIVE_EXPIRY_S = 0.2

    answers = run_async(_get_all(["/restaurants/a", "/restaurants/b"], pause_s=0.4))

    assert [status for status, _ in answers] == [200, 200]
    assert len(set(echo.ports)) == 2


def test_an_answer_that_says_connection_close_leaves_no_connection_to_reuse(echo, run_async):
    echo.forced = (200, {"Connection": "close"})
    echo.linger_s = 0.5  # the echo closes it only then: its answer's word alone must keep it out of the pool

    answers = run_async(_get_all(["/restaurants/a", "/restaurants/b"]))

    assert [status for status, _ in answers] == [200, 200]
    assert len(set(echo.ports)) == 2


def test_a_connection_the_upstream_closed_while_idle_is_dropped(echo, run_async):
    echo.idle_timeout_s = 0.2

    answers = run_async(_get_all(["/restaurants/a", "/restaurants/b"], pause_s=0.5))

    assert [status for status, _ in answers] == [200, 200]
    assert len(set(echo.ports)) == 2


def test_a_late_answer_never_reaches_the_next_call(echo, run_async, settings):
    """A call that timed out leaves its answer on the way: its connection is closed, not pooled, or
    the next call on it would read that answer as its own."""
    settings.UPSTREAM_READ_TIMEOUT_S = 0.3

    async def scenario():
        echo.delay_s = 0.6
        first = await AsyncClient().get("/restaurants/slow")
        echo.delay_s = 0.0
        await asyncio.sleep(0.5)  # the late answer has arrived by now
        second = await AsyncClient().get("/restaurants/next")
        return first, second

    first, second = run_async(scenario())

    assert first.status_code == 504
    assert second.status_code == 200
    assert json.loads(second.content)["path"] == "/restaurants/next"
    assert len(set(echo.ports)) == 2


def test_a_head_is_answered_and_leaves_the_next_call_intact(echo, run_async):
    async def scenario():
        head = await AsyncClient().head("/restaurants")
        get = await AsyncClient().get("/restaurants/after")
        return head, get

    head, get = run_async(scenario())

    assert head.status_code == 200
    assert head["Content-Type"] == "application/json"
    assert get.status_code == 200
    assert json.loads(get.content)["path"] == "/restaurants/after"


def test_a_body_goes_with_its_length_on_a_reused_connection(echo, run_async, issue_token):
    token = issue_token("restaurant")

    async def scenario():
        answers = []
        for body in (b'{"name": "a"}', b'{"name": "bb"}', b""):
            response = await AsyncClient().patch(
                "/restaurants/r1",
                data=body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
            answers.append(json.loads(response.content))
        return answers

    answers = run_async(scenario())

    assert [answer["body"] for answer in answers] == ['{"name": "a"}', '{"name": "bb"}', ""]
    assert len(set(echo.ports)) == 1


def test_an_answer_over_the_high_water_mark_is_read_whole_and_its_connection_reused(echo, run_async, monkeypatch):
    from edge import stream_relay

    monkeypatch.setattr(stream_relay, "HIGH_WATER_BYTES", 64)  # the echo's answers are a few hundred bytes

    answers = run_async(_get_all([f"/restaurants/{'x' * 300}", "/restaurants/b", "/restaurants/c"]))

    assert [status for status, _ in answers] == [200, 200, 200]
    assert json.loads(answers[0][1])["path"] == f"/restaurants/{'x' * 300}"
    assert json.loads(answers[2][1])["path"] == "/restaurants/c"
    assert len(set(echo.ports)) == 1
