"""The auth service's background loops, run by common/background.py (docs/architecture/background.md)."""

from accounts import services
from common.background import Loop

LOOPS = (
    Loop(
        name="token-retention",
        period_setting="TOKEN_RETENTION_S",
        run=services.token_families_prune,
        replicas="deleting the families of past days is idempotent: replicas delete each one once between them",
    ),
)
