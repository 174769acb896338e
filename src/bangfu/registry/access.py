"""Who may do what in the registry — the one place views, the API and the services ask.

Roles (DESIGN.md §1):

* readers: city HQ, county office, town, village work team and inspection groups, each within its scope.
  Sector departments do not browse the registry (their data is matched by blind index); the three admin
  roles never read business data.
* direct editors: town, county office and city HQ (乡镇及以上) edit everything in their scope.
* the village work team (驻村工作队) records directly what it sees on its visits — the 三保障/water
  indicators, programmes, employment, contact details (address, phone, natural village, relocation) and a
  member's non-identity details (schooling, health, labour, insurance …). Everything that decides who the
  household is — its composition (new household, a member joining or leaving), identity fields (name, ID,
  sex, birth date, relation, ethnicity; the household's number, type and exited-poor flag) and income — goes
  through a change request that the town reviews (审核制, issue §3).
* reviewers: a direct editor whose scope holds the change, never the person who submitted it.

Functions here answer yes/no without queries (the scope is a code-prefix test), so templates and the API can
call them per row; the services call them again inside their transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bangfu.accounts.models import Role
from bangfu.regions.scoping import code_visible_to, reads_business_data

if TYPE_CHECKING:
    from bangfu.registry.models import ChangeRequest

READER_ROLES = frozenset(
    {Role.CITY_HQ, Role.COUNTY_OFFICE, Role.TOWN, Role.VILLAGE_TEAM, Role.INSPECTION_GROUP}
)
DIRECT_EDITOR_ROLES = frozenset({Role.TOWN, Role.COUNTY_OFFICE, Role.CITY_HQ})
REQUESTER_ROLES = frozenset({Role.VILLAGE_TEAM})
# Who records on-the-spot facts (indicators, programmes, employment, contact details) without review.
RECORDER_ROLES = DIRECT_EDITOR_ROLES | REQUESTER_ROLES

# Household fields a village team changes only through a change request: the household's identity in the
# national system (户编号), its classification (户类型, 脱贫户 — they decide the monitoring category) and its
# village. The other editable fields are contact and living details.
HOUSEHOLD_REVIEWED_FIELDS = frozenset({"household_number", "household_type", "is_exited_poor", "region_code"})
HOUSEHOLD_DETAIL_FIELDS = frozenset({"natural_village", "address", "phone", "relocated", "resettlement_site"})
HOUSEHOLD_EDITABLE_FIELDS = HOUSEHOLD_REVIEWED_FIELDS | HOUSEHOLD_DETAIL_FIELDS

# Member identity as printed on the resident ID card plus the relation to the head (composition), and the
# join date (composition again). Ethnicity is on the ID card, so it is identity too.
MEMBER_IDENTITY_FIELDS = frozenset(
    {"name", "id_number", "sex", "birth_date", "relation", "ethnicity", "joined_on"}
)
MEMBER_DETAIL_FIELDS = frozenset(
    {
        "political_status",
        "education",
        "school_status",
        "health",
        "disability_grade",
        "labour_capacity",
        "skill",
        "resident_medical_insurance",
        "employee_medical_insurance",
        "critical_illness_insurance",
        "resident_pension",
        "employee_pension",
    }
)
MEMBER_EDITABLE_FIELDS = MEMBER_IDENTITY_FIELDS | MEMBER_DETAIL_FIELDS


def _role_in(user: Any, roles: frozenset[Role]) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in roles


def can_read(user: Any) -> bool:
    """Whether ``user`` may open registry pages at all (rows are then limited by ``visible_to``)."""
    return _role_in(user, READER_ROLES)


def can_edit_directly(user: Any) -> bool:
    """Town and above: every registry write in their scope, without review."""
    return _role_in(user, DIRECT_EDITOR_ROLES)


def can_request_changes(user: Any) -> bool:
    """The village work team: composition, identity and income changes go through a change request."""
    return _role_in(user, REQUESTER_ROLES)


def can_record_details(user: Any) -> bool:
    """Indicators, programmes, employment and non-identity details, directly (village team and above)."""
    return _role_in(user, RECORDER_ROLES)


def can_review(user: Any, change: ChangeRequest) -> bool:
    """A direct editor whose scope holds the change's village, and not the person who submitted it."""
    return (
        can_edit_directly(user)
        and code_visible_to(user, change.region_code)
        and change.submitted_by_id != getattr(user, "pk", None)
    )


def can_reveal(user: Any) -> bool:
    """Full ID numbers and phones (each reveal is audited): the security admin's grant on a reader."""
    return can_read(user) and bool(getattr(user, "may_reveal_personal_data", False))


def can_import(user: Any) -> bool:
    return can_edit_directly(user)


def can_export(user: Any) -> bool:
    return can_edit_directly(user)


def can_resolve_duplicates(user: Any) -> bool:
    """Duplicate candidates belong to a town (region_code = the town's code): town and above decide."""
    return can_edit_directly(user)


def in_scope(user: Any, region_code: str) -> bool:
    """Whether ``region_code`` lies in ``user``'s scope (no query)."""
    return bool(region_code) and code_visible_to(user, region_code)


def household_fields_need_review(user: Any, fields: set[str] | frozenset[str]) -> bool:
    """Whether changing ``fields`` of a household needs a change request for this user."""
    return not can_edit_directly(user) and bool(set(fields) & HOUSEHOLD_REVIEWED_FIELDS)


def member_fields_need_review(user: Any, fields: set[str] | frozenset[str]) -> bool:
    """Whether changing ``fields`` of a member needs a change request for this user."""
    return not can_edit_directly(user) and bool(set(fields) & MEMBER_IDENTITY_FIELDS)


def change_needs_review(user: Any, kind: str, fields: set[str] | frozenset[str]) -> bool:
    """Whether this user's change of ``kind`` (a ``ChangeKind`` value) touching ``fields`` becomes a change
    request: never for town and above; for a village team, always, except an edit of a household's or a
    member's own details that leaves the reviewed fields alone."""
    if kind == "update_household":
        return household_fields_need_review(user, fields)
    if kind == "update_member":
        return member_fields_need_review(user, fields)
    return not can_edit_directly(user)
