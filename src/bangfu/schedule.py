"""Every periodic background job, declared in one place (CONVENTIONS.md §21); ``bangfu worker`` runs them.

Times are local (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import time

from bangfu.core.scheduling import Periodic

PERIODIC: tuple[Periodic, ...] = (
    # Notice an edited or deleted audit row even when nobody runs `bangfu audit verify`.
    Periodic("audit-chain-nightly", "bangfu.audit.tasks.verify_audit_chain", at=time(2, 0)),
    # The registry's year snapshots (HouseholdYear) for the year of yesterday: final on 1 January.
    Periodic("registry-household-years", "bangfu.registry.jobs.close_household_years", at=time(1, 0)),
    # Likely duplicate people listed for the towns to check (never merged).
    Periodic("registry-duplicates-nightly", "bangfu.registry.jobs.find_duplicate_members", at=time(1, 30)),
    # Department data against the registry: new warnings for the villages before the working day starts.
    Periodic("monitoring-screening-nightly", "bangfu.monitoring.jobs.screen_nightly", at=time(3, 0)),
    # What each village has to fix in the registry (data-quality checks), fresh every morning.
    Periodic("monitoring-quality-nightly", "bangfu.monitoring.jobs.refresh_quality_nightly", at=time(3, 30)),
    # Late identification steps and leads not accepted in time, per town and county, before work starts.
    Periodic("monitoring-cases-digest", "bangfu.monitoring.jobs.digest_daily", at=time(6, 30)),
    # Problems that turned red overnight (overdue, not started) are recorded as such (变色) before work.
    Periodic("rectification-recolour", "bangfu.rectification.jobs.recolour_daily", at=time(0, 30)),
    # Overdue problems not yet under a supervision order: drafts for the supervisors, after the recolouring.
    Periodic(
        "rectification-draft-orders", "bangfu.rectification.jobs.draft_supervision_orders", at=time(5, 0)
    ),
    # The weekly clearance report (清零周报) of the past ISO week, every Monday morning.
    Periodic(
        "rectification-weekly-report", "bangfu.rectification.jobs.weekly_reports", at=time(4, 0), weekday=0
    ),
)
