"""The project's own tooling: runs the platform and its tests on one machine (ARCHITECTURE 3.2).

    python -m tools.devstack run      MongoDB-compatible server, Redis and the six services, in the foreground
    python -m tools.devstack test     the same servers on free ports, then every test suite
    python -m tools.devstack infra    only the MongoDB-compatible server and Redis

Standard library only, so it runs before anything is installed. By concern:
processes (children, ports), ferretdb (the patched build), databases (MongoDB-compatible server,
PostgreSQL, Redis), keys (secrets), stack (one platform), testrun (`make test`), cli.
"""

from .paths import DATA_DIR, ROOT, VENV_BIN
from .processes import Managed, free_port, free_ports, http_status, port_open, ready_as, wait_for
from .stack import SERVICES, Service, Stack, uvicorn_command

__all__ = [
    "DATA_DIR",
    "ROOT",
    "SERVICES",
    "VENV_BIN",
    "Managed",
    "Service",
    "Stack",
    "free_port",
    "free_ports",
    "http_status",
    "port_open",
    "ready_as",
    "uvicorn_command",
    "wait_for",
]
