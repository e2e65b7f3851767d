"""The delivery service's background loops, run by common/background.py (docs/architecture/background.md)."""

from common.background import Loop
from deliveries import dispatch, operators, planner, tracking

LOOPS = (
    Loop(
        name=dispatch.LOOP,
        period_setting="DISPATCH_SWEEP_S",
        run=planner.reconcile,
        on_kick=planner.dispatch_pass,
        kick_gap_setting="DISPATCH_KICK_GAP_S",
        replicas=(
            "every step of assignment is conditional or idempotent and each order is handled under its "
            "Redis lock: passes racing in several replicas make one assignment, and a pass cut short "
            "anywhere is finished by the next (deliveries/dispatch.py)"
        ),
    ),
    Loop(
        name="dispatch-plan",
        period_setting="DISPATCH_PLAN_S",
        run=planner.planned_pass,
        replicas=(
            "a plan is only a proposal: each order it commits goes through dispatch.assign_to under the order's "
            "Redis lock, a claim of one of the courier's slots that the unique keys let one racer make, so "
            "planners in several replicas make one assignment per order and never exceed a courier's capacity "
            "(deliveries/planner.py)"
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
