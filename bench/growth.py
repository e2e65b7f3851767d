#!/usr/bin/env python3
"""What a request costs as the city grows (issue #42): load a city's data in bulk, and measure.

python bench/growth.py load --orders N --restaurants N --couriers N --history N
    Adds that much to a running platform's data, straight into its store in bulk (documents as
    the services write them, read models refreshed; run twice, it adds). Finds the platform
    from --gateway/--mongo-url/--redis-url/--db-prefix, else GATEWAY_URL, MONGO_URL, REDIS_URL,
    MONGO_DB_PREFIX, else the running `make run` (.data/running.json). Its last line on stdout
    is JSON naming the sample accounts: {"customer": {"email", "password"}, "restaurant":
    {"email", "password", "restaurant_id"}, "courier": {"email", "password"}}; the line before
    says what was loaded and how long each part took.

python bench/growth.py measure [--sizes 1000,10000,100000] [--repeats 30]
    Starts a platform of its own, and at each size (orders; restaurants a hundredth of them,
    customers with 10 past orders at the first size and up to 1,000 later, couriers up to 100,000)
    loads up to that size and times every request a person makes through the gateway: latency
    and each process's CPU per request. Writes bench/out/growth.json, bench/out/growth.png
    (log-log, one curve per request) and prints the table with each curve's slope
    (log latency / log orders) and its largest/smallest ratio. `make bench` runs it
    (BENCH_GROWTH_SIZES; BENCH_GROWTH=0 skips it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import growth_load  # noqa: E402

RUNNING = ROOT / ".data" / "running.json"


def _target(args) -> growth_load.Target:
    running = json.loads(RUNNING.read_text()) if RUNNING.exists() else {}
    gateway = args.gateway or os.environ.get("GATEWAY_URL")
    if not gateway and running:
        gateway = f"http://127.0.0.1:{running['ports']['gateway']}"
    mongo_url = args.mongo_url or os.environ.get("MONGO_URL") or running.get("mongo_url")
    redis_url = args.redis_url or os.environ.get("REDIS_URL") or running.get("redis_url")
    if not (gateway and mongo_url and redis_url):
        raise SystemExit("no platform found: start one with `make run`, or give --gateway, --mongo-url and --redis-url")
    prefix = (
        args.db_prefix
        if args.db_prefix is not None
        else os.environ.get("MONGO_DB_PREFIX", running.get("db_prefix", ""))
    )
    return growth_load.Target(
        gateway=gateway,
        mongo_url=mongo_url,
        redis_url=redis_url,
        db_prefix=prefix,
        redis_prefix=args.redis_prefix or os.environ.get("REDIS_KEY_PREFIX", ""),
    )


def command_load(args) -> int:
    # Orders go round robin over the restaurants and couriers of the run (the platform's own when it
    # adds none): without enough of them, one kitchen or courier would carry the whole load.
    if args.restaurants is None:
        args.restaurants = max(10, args.orders // 100) if args.orders else 0
    if args.couriers is None:
        args.couriers = max(100, args.orders // 10) if args.orders else 0
    target = _target(args)
    print(
        f"loading {args.orders} orders, {args.restaurants} restaurants, {args.couriers} couriers, "
        f"{args.history} past orders per customer into {target.gateway}'s store",
        file=sys.stderr,
        flush=True,
    )
    loaded = growth_load.load(
        target, orders=args.orders, restaurants=args.restaurants, couriers=args.couriers, history=args.history
    )
    print(json.dumps({"loaded": loaded["stats"]}))
    print(json.dumps(loaded["accounts"]))
    return 0


def command_measure(args) -> int:
    import growth_measure

    sizes = [int(size) for size in args.sizes.split(",")]
    growth_measure.main(sizes=sizes, repeats=args.repeats)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="add a city's data to a running platform's store")
    load.add_argument("--orders", type=int, default=0)
    load.add_argument(
        "--restaurants",
        type=int,
        help="restaurants to add (default: a hundredth of the orders, at least 10 with orders)",
    )
    load.add_argument("--couriers", type=int, help="couriers to add (default: a tenth of the orders, at least 100)")
    load.add_argument("--history", type=int, default=10, help="past orders of each loaded customer")
    load.add_argument("--gateway")
    load.add_argument("--mongo-url")
    load.add_argument("--redis-url")
    load.add_argument("--db-prefix")
    load.add_argument("--redis-prefix")
    load.set_defaults(func=command_load)
    measure = commands.add_parser("measure", help="time each request at growing sizes on a platform of its own")
    measure.add_argument("--sizes", default=os.environ.get("BENCH_GROWTH_SIZES", "1000,10000,100000"))
    measure.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_GROWTH_REPEATS", 30)))
    measure.set_defaults(func=command_measure)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
