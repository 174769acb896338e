"""Who may do what with problems, lists, reports and escalations (pages and API ask here; services again).

Rows are scoped by ``visible_to`` (a department sees the problems of its sector); these checks add the role.
"""

from __future__ import annotations

from typing import Any, Final

from bangfu.accounts.models import ADMIN_ROLES, Role
from bangfu.regions.codes import Level, level_of
from bangfu.regions.scoping import reads_business_data

# Who records problems: every level that inspects or checks itself (自查), not a sector department alone.
CREATOR_ROLES: Final = frozenset(
    {Role.CITY_HQ, Role.COUNTY_OFFICE, Role.TOWN, Role.VILLAGE_TEAM, Role.INSPECTION_GROUP}
)
# Who issues (交办) a list of problems to the units that own them.
ISSUER_ROLES: Final = frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE, Role.TOWN, Role.INSPECTION_GROUP})
# Who works on a problem (progress, closure request): its owners at every level, departments included.
WORKER_ROLES: Final = frozenset({Role.VILLAGE_TEAM, Role.TOWN, Role.COUNTY_OFFICE, Role.DEPARTMENT})
# Who verifies closures, from the lowest level up; a level may verify what a lower one was to verify.
VERIFIER_ORDER: Final = (Role.TOWN, Role.COUNTY_OFFICE, Role.CITY_HQ)
# Who drafts and issues supervision orders (督办单): county and city offices and the inspection groups.
SUPERVISOR_ROLES: Final = frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE, Role.INSPECTION_GROUP})
# Who issues circulars, holds interviews and refers to the discipline organs: the county and the city.
ESCALATOR_ROLES: Final = frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE})
# Who answers a supervision order addressed to its unit.
REPLIER_ROLES: Final = frozenset({Role.VILLAGE_TEAM, Role.TOWN, Role.COUNTY_OFFICE, Role.DEPARTMENT})
# Who makes a corrected version of a weekly report.
REPORT_CORRECTOR_ROLES: Final = frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE})


def _role(user: Any) -> str | None:
    return getattr(user, "role", None) if reads_business_data(user) else None


def can_read(user: Any) -> bool:
    """Every business role reads the problems of its scope (a department: those of its sector)."""
    role = _role(user)
    return role is not None and role not in ADMIN_ROLES


def can_create(user: Any) -> bool:
    return _role(user) in CREATOR_ROLES


def can_issue(user: Any) -> bool:
    return _role(user) in ISSUER_ROLES


def can_work(user: Any) -> bool:
    return _role(user) in WORKER_ROLES


def can_verify_level(user: Any, level: str) -> bool:
    """Whether ``user`` verifies closures at ``level`` (town, county, city) or above it."""
    role = _role(user)
    wanted = {"town": Role.TOWN, "county": Role.COUNTY_OFFICE, "city": Role.CITY_HQ}.get(level)
    if role not in VERIFIER_ORDER or wanted is None:
        return False
    return VERIFIER_ORDER.index(role) >= VERIFIER_ORDER.index(wanted)


def can_verify(user: Any) -> bool:
    return _role(user) in VERIFIER_ORDER


def can_supervise(user: Any) -> bool:
    return _role(user) in SUPERVISOR_ROLES


def can_escalate(user: Any) -> bool:
    return _role(user) in ESCALATOR_ROLES


def can_reply(user: Any) -> bool:
    return _role(user) in REPLIER_ROLES


def can_correct_reports(user: Any) -> bool:
    return _role(user) in REPORT_CORRECTOR_ROLES


def verifier_level_above(region_code: str) -> str:
    """The level above a problem's place: a village's town, a town's county, a county's city (and above)."""
    level = level_of(region_code)
    if level == Level.VILLAGE:
        return "town"
    if level == Level.TOWN:
        return "county"
    return "city"
