"""Command line of the tooling: `python -m tools.devstack run|test|infra|build-ferretdb`."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time

from . import __doc__ as package_doc
from . import ferretdb
from .paths import DATA_DIR
from .processes import log
from .stack import Stack
from .testrun import TEST_SUITES, run_tests


def _run_forever(stack: Stack) -> None:
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.wait(0.5):
        for process in stack.processes:
            if process.popen.poll() is not None:
                log(f"{process.name} exited with code {process.popen.returncode}; stopping everything")
                stopping.set()
                break


# Where a running `make run` listens: written once it is up, removed when it stops.
ADDRESSES = DATA_DIR / "running.json"


def command_run(args) -> int:
    stack = Stack(data_dir=DATA_DIR)
    started = time.monotonic()
    try:
        stack.start_databases()
        stack.start_services()
        stack.save_addresses(ADDRESSES)
        log(
            f"ready in {time.monotonic() - started:.1f}s: gateway {stack.gateway_url}  (docs: {stack.gateway_url}/docs)"
        )
        log("press Ctrl-C to stop")
        _run_forever(stack)
    finally:
        log("stopping")
        ADDRESSES.unlink(missing_ok=True)
        stack.stop()
        log("stopped")
    return 0


def command_operator(args) -> int:
    """`make operator EMAIL=... PASSWORD=...`: an operator on the running platform (or its password
    and TOTP secret reset), through the auth service's own `create_operator`."""
    password = os.environ.get("OPERATOR_PASSWORD", "")
    if not args.email or not password:
        raise SystemExit("usage: make operator EMAIL=ops@example.com PASSWORD='a long passphrase'")
    if not ADDRESSES.exists():
        raise SystemExit("the platform is not running here: start it with `make run` first")
    stack = Stack(data_dir=DATA_DIR)
    stack.load_addresses(ADDRESSES)
    print(stack.create_operator(args.email, password), end="")
    return 0


def command_infra(args) -> int:
    stack = Stack(data_dir=DATA_DIR)
    try:
        stack.start_databases()
        print(f"export MONGO_URL={stack.mongo_url} REDIS_URL={stack.redis_url}", flush=True)
        _run_forever(stack)
    finally:
        stack.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=package_doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole platform in the foreground").set_defaults(func=command_run)
    commands.add_parser("infra", help="start only MongoDB-compatible server and Redis").set_defaults(func=command_infra)
    test = commands.add_parser("test", help="run every test suite against real servers")
    test.add_argument("suites", nargs="*", help=f"only these suites ({', '.join(TEST_SUITES)})")
    test.add_argument("--no-e2e", dest="e2e", action="store_false", help="skip the Behave features")
    test.add_argument("--only-e2e", action="store_true", help="run only the Behave features")
    test.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed on to pytest")
    test.add_argument(
        "--as-released",
        action="store_true",
        help="against FerretDB as released, without the project's patches (the conformance suite fails)",
    )
    test.set_defaults(func=run_tests)
    operator = commands.add_parser("operator", help="create an operator on the running platform (or reset one)")
    operator.add_argument("--email", required=True)
    operator.set_defaults(func=command_operator)
    commands.add_parser("build-ferretdb", help="build the patched FerretDB into .local/bin").set_defaults(
        func=lambda args: ferretdb.binary() and 0
    )
    args = parser.parse_args()
    return args.func(args)
