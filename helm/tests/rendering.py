"""Renders the chart with `helm template` (the pinned helm in .local/bin) for the template tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "food-delivery"
HELM = ROOT / ".local" / "bin" / "helm"


class RenderError(Exception):
    """`helm template` refused the values (its message says why)."""


def render(*args: str, api_versions: tuple[str, ...] = ()) -> list[dict]:
    """The chart's manifests for `args` (`--set`, `-f`), as documents."""
    extra = [arg for version in api_versions for arg in ("--api-versions", version)]
    result = subprocess.run(
        [str(HELM), "template", "fd", str(CHART), "--kube-version", "1.30.0", *extra, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(result.stderr)
    return [d for d in yaml.safe_load_all(result.stdout) if d]
