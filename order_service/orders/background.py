"""The order service's background loops, run by common/background.py (docs/architecture/background.md)."""

from common.background import Loop
from orders import operators, services

LOOPS = (
    Loop(
        name="estimates",
        period_setting="ESTIMATE_REFRESH_S",
        run=services.order_refresh_due_estimates,
        replicas=(
            "each estimate is written on condition of the order's version, so passes in several replicas "
            "never fight: one moves an estimate, the others find it moved (orders/services.py)"
        ),
    ),
    Loop(
        name="operator-actions",
        period_setting="OPERATOR_ACTION_SETTLE_S",
        run=operators.operator_actions_settle_interrupted,
        replicas=(
            "voiding and applying are conditional updates of the one order and an outcome is written "
            "once: replicas settling the same cancel agree (orders/operators.py)"
        ),
    ),
)
