"""The delivery service's background loops, run by common/background.py (docs/architecture/background.md)."""

from common.background import Loop
from deliveries import dispatch, operators, tracking

LOOPS = (
    Loop(
        name=dispatch.LOOP,
        period_setting="DISPATCH_SWEEP_S",
        run=dispatch.reconcile,
        on_kick=dispatch.dispatch,
        replicas=(
            "every step of assignment is conditional or idempotent and each order is handled under its "
            "Redis lock: passes racing in several replicas make one assignment, and a pass cut short "
            "anywhere is finished by the next (deliveries/dispatch.py)"
        ),
    ),
    Loop(
        name="positions-write-behind",
        period_setting="COURIER_LOCATION_PERSIST_S",
        run=tracking.persist_positions,
        replicas=(
            "a courier leaves the to-do set only once their position is written, and a write never moves "
            "a position back (it is conditional on the stored one being older): writers in several "
            "replicas at most write one position twice (deliveries/tracking.py)"
        ),
    ),
    Loop(
        name="operator-actions",
        period_setting="OPERATOR_ACTION_RESUME_S",
        run=operators.resume_interrupted,
        replicas=(
            "each action is carried out under its order's Redis lock, every step conditional or idempotent "
            "and its audit outcome written once: replicas resuming the same action make one move "
            "(deliveries/operators.py)"
        ),
    ),
)
