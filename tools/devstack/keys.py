"""Secrets of a local platform, created once in its data directory, as Kubernetes would mount them:
the JWT key pair (made by the platform's one generator, `common.keys`) and service client secrets."""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

from .paths import VENV_BIN


def ensure_jwt_keys(directory: Path) -> tuple[Path, Path]:
    private, public = directory / "jwt-private.pem", directory / "jwt-public.pem"
    if not private.exists():
        directory.mkdir(parents=True, exist_ok=True)
        # The virtual environment has `common` and its cryptography; this tooling is stdlib-only.
        subprocess.run([str(VENV_BIN / "python"), "-m", "common.keys", str(private), str(public)], check=True)
    return private, public


def ensure_service_secrets(directory: Path, client_ids: list[str]) -> dict[str, str]:
    path = directory / "service-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    directory.mkdir(parents=True, exist_ok=True)
    values = {name: secrets.token_urlsafe(32) for name in client_ids}
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values
