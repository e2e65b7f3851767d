#!/usr/bin/env python3
"""Checks the Helm chart statically: `helm lint` (with values.schema.json), `helm template` over
several value sets, and every rendered manifest against the Kubernetes JSON schemas
(kubernetes-validate, offline, strict). The templates' logic is tested in helm/tests (pytest). Custom resources (ServiceMonitor) have no schema there
and are checked for their apiVersion and kind only."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "food-delivery"
HELM = str(ROOT / ".local" / "bin" / "helm")
KUBE_VERSION = "1.30.0"
CUSTOM_RESOURCES = {("monitoring.coreos.com/v1", "ServiceMonitor")}
VALUE_SETS = {
    "default": [],
    "production": ["-f", str(CHART / "values-production.yaml")],
    "one replica": [
        "--set",
        "autoscaling.enabled=false",
        *[
            arg
            for service in ("gateway", "auth", "customer", "restaurant", "order", "delivery")
            for arg in ("--set", f"services.{service}.replicas=1")
        ],
    ],
    "autoscaling off": ["--set", "autoscaling.enabled=false"],
    "network policies off": ["--set", "networkPolicy.enabled=false"],
    "no ingress, external databases": [
        "--set",
        "ingress.enabled=false",
        "--set",
        "mongodb.enabled=false",
        "--set",
        "redis.enabled=false",
        "--set",
        "mongodb.externalUrl=mongodb://mongo:27017/",
        "--set",
        "redis.externalUrl=redis://redis:6379/0",
    ],
}


def run(args: list[str]) -> str:
    result = subprocess.run(args, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def main() -> int:
    for name, values in VALUE_SETS.items():
        run([HELM, "lint", "--strict", str(CHART), *values])
        # The production values name an existing Secret for credentials.
        rendered = run([HELM, "template", "fd", str(CHART), "--kube-version", KUBE_VERSION, *values])
        documents = [d for d in yaml.safe_load_all(rendered) if d]
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for n, document in enumerate(documents):
                if (document["apiVersion"], document["kind"]) in CUSTOM_RESOURCES:
                    continue
                path = Path(tmp) / f"{n:03d}-{document['kind']}.yaml"
                path.write_text(yaml.safe_dump(document))
                files.append(str(path))
            run([sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", "-k", KUBE_VERSION, *files])
        kinds = sorted({d["kind"] for d in documents})
        print(f"chart ({name} values): {len(documents)} manifests valid: {', '.join(kinds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
