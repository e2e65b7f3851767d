"""Where the tooling keeps things: the virtual environment, built binaries, local data."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
LOCAL_BIN = ROOT / ".local" / "bin"
DATA_DIR = Path(os.environ.get("DEVSTACK_DATA_DIR", ROOT / ".data"))
FERRETDB_MODULE = ROOT / "tools" / "ferretdb"
