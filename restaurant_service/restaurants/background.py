"""The restaurant service's background loops, run by common/background.py (docs/architecture/background.md)."""

from common.background import Loop
from restaurants import browse

LOOPS = (
    Loop(
        name="browse-trigrams",
        period_setting="RESTAURANT_TRIGRAMS_REFRESH_S",
        run=browse.refresh_trigrams,
        replicas=(
            "a build begins by claiming the index's marker in one script, so one replica builds while the "
            "others see 'building' and skip; renewals racing in several replicas only add the same members "
            "to the sets and lengthen their lifetimes, and move the deadline only if no other renewal "
            "moved it first (common/trigram_index.py): at most the work is done twice"
        ),
    ),
)
