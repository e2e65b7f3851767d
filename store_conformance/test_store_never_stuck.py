"""The store cannot be exhausted by its clients (issue #37): whatever clients do with their
cursors and connections, the server keeps answering in milliseconds.

On MongoDB an open cursor costs a little memory. FerretDB v1 on PostgreSQL as released pinned a
pool connection for every open cursor and for every statement of a multi-statement update, so ~50
of either stopped the whole platform until a restart (tools/ferretdb/unpinned-connections.patch).
Every test here runs on MongoDB in CI as well, except the one about the pool behind FerretDB.
"""

from __future__ import annotations

import socket
import statistics
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import bson
import pytest
from pymongo import MongoClient, UpdateOne
from pymongo.errors import OperationFailure
from store_support import open_cursors, ping_and_write_ms, quiet_for, wait_until


def test_a_bulk_write_of_many_updates_completes_and_the_server_keeps_answering(fresh_client, db):
    """The cause found under a courier fleet's load: the delivery service writes the fleet's last
    positions behind as one `bulk_write` of an update per courier."""
    db.couriers.insert_many([{"_id": f"c{i}", "location": None} for i in range(300)])
    updates = [UpdateOne({"_id": f"c{i}"}, {"$set": {"location": {"lat": 52.5, "lng": 13.4}}}) for i in range(300)]

    result = fresh_client[db.name].couriers.bulk_write(updates, ordered=False)

    assert result.modified_count == 300
    assert statistics.median(ping_and_write_ms(db) for _ in range(5)) < 100


def test_unexhausted_cursors_leave_the_server_answering(mongo_client, db):
    db.things.insert_many([{"_id": i, "pad": "x" * 200} for i in range(300)])
    before = open_cursors(mongo_client)
    cursors = [db.things.find({}, batch_size=2) for _ in range(200)]
    for cursor in cursors:
        next(cursor)  # the server keeps the rest for getMore, as MongoDB does

    assert open_cursors(mongo_client) >= before + 200
    assert statistics.median(ping_and_write_ms(db) for _ in range(5)) < 100

    for cursor in cursors:
        cursor.close()
    wait_until(lambda: open_cursors(mongo_client) <= before, what="the cursors closed")


def _op_msg(request_id: int, command: dict) -> bytes:
    body = struct.pack("<I", 0) + b"\x00" + bson.encode(command)
    return struct.pack("<iiii", 16 + len(body), request_id, 0, 2013) + body


def test_clients_that_hang_up_in_the_middle_of_a_query_leave_nothing_open(mongo_client, db):
    db.things.insert_many([{"_id": i, "pad": "x" * 100} for i in range(20_000)])
    before = open_cursors(mongo_client)
    host, port = _address(mongo_client)

    def hang_up(i: int) -> None:
        with socket.create_connection((host, port), timeout=5) as conn:
            conn.sendall(_op_msg(i + 1, {"find": "things", "filter": {}, "$db": db.name}))

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(hang_up, range(100)))

    # The server does the work it was asked for (a cursor is made once a query's rows are read),
    # then nothing of it is left: no cursor, and the server answering at once.
    # A poll can see no cursor before the last queries have read their rows: the condition must
    # hold for a whole second of polls.
    settled = quiet_for(lambda: open_cursors(mongo_client) <= before and ping_and_write_ms(db) < 100, seconds=1.0)
    wait_until(settled, what="the hung-up clients' queries done and their cursors closed")
    assert open_cursors(mongo_client) <= before
    assert statistics.median(ping_and_write_ms(db) for _ in range(5)) < 100


def _address(client: MongoClient) -> tuple[str, int]:
    host, port = client.address
    return host, port


def test_a_pool_at_its_limit_answers_with_an_error_within_its_deadline(small_pool_ferretdb, locked_table):
    """Two finds wait in PostgreSQL on a table lock and hold both connections of a pool of two;
    a third command must get an error within the pool's deadline (500 ms here), not wait."""
    client, db_name = small_pool_ferretdb
    with ThreadPoolExecutor(max_workers=2) as pool:
        blocked = [pool.submit(lambda: list(client[db_name].locked.find({}))) for _ in range(2)]
        wait_until(lambda: locked_table.waiting() >= 2, what="two finds waiting on the lock")

        started = time.monotonic()
        with pytest.raises(OperationFailure, match=r"(?i)deadline"):
            client.admin.command("ping")
        waited = time.monotonic() - started

        locked_table.release()
        assert [len(f.result(timeout=10)) for f in blocked] == [1, 1]

    assert waited < 2.0, f"waited {waited:.2f}s for a connection"
    assert client.admin.command("ping")["ok"] == 1
