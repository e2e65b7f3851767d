"""The `helm` fixture: the chart rendered by the pinned helm (rendering.py)."""

from __future__ import annotations

import pytest
from rendering import HELM, render


@pytest.fixture(scope="session")
def helm():
    if not HELM.exists():
        pytest.fail("helm is not built: run `make lint-tools`")
    return render
