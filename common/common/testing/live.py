"""The whole platform as real processes, for tests that need real upstreams (not mocks of them).

It is started by the project's own tooling (tools/devstack.py), on free ports, against the
MongoDB-compatible server and Redis of the test run (`MONGO_URL`, `REDIS_URL`).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@cache
def devstack():
    spec = importlib.util.spec_from_file_location("devstack", ROOT / "tools" / "devstack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["devstack"] = module
    spec.loader.exec_module(module)
    return module


class LivePlatform:
    def __init__(self, data_dir: Path):
        self.stack = devstack().Stack(data_dir=data_dir, free_ports=True, quiet=True)

    def start(self) -> LivePlatform:
        try:
            self.stack.start_databases()
            self.stack.start_services()
        except BaseException:
            self.stack.stop()
            raise
        return self

    def stop(self) -> None:
        self.stack.stop()

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.stack.ports[service]}"

    @property
    def secrets_dir(self) -> Path:
        return self.stack.data_dir / "secrets"

    def key_pair(self) -> tuple[str, str]:
        return (self.secrets_dir / "jwt-private.pem").read_text(), (self.secrets_dir / "jwt-public.pem").read_text()

    def client_secret(self, service: str) -> str:
        return json.loads((self.secrets_dir / "service-secrets.json").read_text())[service]
