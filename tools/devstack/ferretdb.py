"""FerretDB v1, built by the tooling from the Go module proxy with the project's patches.

The patches in tools/ferretdb/*.patch make the local server keep MongoDB's promises
(docs/architecture/store.md): single-document atomicity, and equality and `$in` queries that use
the indexes.
`as_released=True` builds the unpatched server, to show what the store conformance suite catches.
"""

from __future__ import annotations

import shutil
import subprocess

from .paths import FERRETDB_MODULE, LOCAL_BIN
from .processes import log

PATCHES = sorted(FERRETDB_MODULE.glob("*.patch"))


def binary(*, as_released: bool = False) -> str:
    path = LOCAL_BIN / ("ferretdb-as-released" if as_released else "ferretdb")
    stamp = path.with_suffix(".patches")
    wanted = "" if as_released else _patches_fingerprint()
    if not path.exists() or (stamp.read_text() if stamp.exists() else None) != wanted:
        build(as_released=as_released)
    return str(path)


def _patches_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha256()
    for patch in PATCHES:
        digest.update(patch.name.encode() + b"\0" + patch.read_bytes())
    return digest.hexdigest()


def build(*, as_released: bool = False) -> None:
    """Vendors the pinned module, applies the patches (unless `as_released`) and builds it.

    FerretDB refuses to start without build/version/version.txt, which its module zip lacks
    (it is generated from git in their repository); vendoring lets us supply it.
    """
    version = _pinned_version()
    go = shutil.which("go")
    if go is None:
        raise SystemExit("Go is needed to build FerretDB: install Go, or set MONGO_URL, or put mongod on PATH")
    log(f"building FerretDB {version}{' as released' if as_released else ''} (first run only, takes a minute)")
    vendor = FERRETDB_MODULE / "vendor"
    shutil.rmtree(vendor, ignore_errors=True)  # a fresh copy: patches apply to pristine sources only
    subprocess.run([go, "mod", "vendor"], cwd=FERRETDB_MODULE, check=True)
    if not as_released:
        for patch in PATCHES:
            log(f"applying {patch.name}")
            subprocess.run(
                ["patch", "--batch", "--forward", "-p1", "-i", str(patch)],
                cwd=FERRETDB_MODULE,
                check=True,
                stdout=subprocess.DEVNULL,
            )
    (vendor / "github.com" / "FerretDB" / "FerretDB" / "build" / "version" / "version.txt").write_text(version + "\n")
    LOCAL_BIN.mkdir(parents=True, exist_ok=True)
    output = LOCAL_BIN / ("ferretdb-as-released" if as_released else "ferretdb")
    subprocess.run(
        [go, "build", "-mod=vendor", "-trimpath", "-o", str(output), "github.com/FerretDB/FerretDB/cmd/ferretdb"],
        cwd=FERRETDB_MODULE,
        check=True,
    )
    output.with_suffix(".patches").write_text("" if as_released else _patches_fingerprint())


def _pinned_version() -> str:
    for line in (FERRETDB_MODULE / "go.mod").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "github.com/FerretDB/FerretDB":
            return parts[1]
    raise SystemExit("tools/ferretdb/go.mod does not pin github.com/FerretDB/FerretDB")
