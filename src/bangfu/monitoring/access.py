"""Who may do what with warnings, rules and cases (the pages and the API ask here; the services check
again)."""

from __future__ import annotations

from typing import Any

from bangfu.accounts.models import ADMIN_ROLES, Role
from bangfu.regions.scoping import reads_business_data

# Who checks a warning on the ground and answers it: the village work team, or the town for its villages.
ANSWER_ROLES = frozenset({Role.VILLAGE_TEAM, Role.TOWN})
RULE_EDITOR_ROLES = frozenset({Role.CITY_HQ})
# Who follows the screening runs (counts per rule and county): the levels that own counties.
RUN_READER_ROLES = frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE})


def can_read(user: Any) -> bool:
    """Every business role reads the warnings of its scope (a department: those its own data raised)."""
    return reads_business_data(user) and getattr(user, "role", None) not in ADMIN_ROLES


def can_answer(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in ANSWER_ROLES


def can_edit_rules(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in RULE_EDITOR_ROLES


def can_read_runs(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in RUN_READER_ROLES


# Cases (识别认定): the levels that work them and those that oversee them; departments and 三员 do not.
CASE_READER_ROLES = frozenset(
    {Role.VILLAGE_TEAM, Role.TOWN, Role.COUNTY_OFFICE, Role.CITY_HQ, Role.INSPECTION_GROUP}
)
# Who reports a household found at risk (基层干部排查).
REPORTER_ROLES = frozenset({Role.VILLAGE_TEAM, Role.TOWN})
# Who enters a hotline call, and who accepts the leads in a town's inbox.
HOTLINE_ROLES = frozenset({Role.TOWN, Role.COUNTY_OFFICE, Role.CITY_HQ})
LEAD_DECIDER_ROLES = frozenset({Role.TOWN})


def can_read_cases(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in CASE_READER_ROLES


def can_report(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in REPORTER_ROLES


def can_enter_hotline(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in HOTLINE_ROLES


def can_decide_leads(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in LEAD_DECIDER_ROLES


# Who visits monitored households (帮扶联系人 are village team members or town cadres).
VISITOR_ROLES = frozenset({Role.VILLAGE_TEAM, Role.TOWN})


def can_visit(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in VISITOR_ROLES
