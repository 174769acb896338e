"""Who may upload which kind of department data (谁主管谁负责): a sector department its own kinds; the city
headquarters and the county offices, which collect the departments' files, any kind. Reading the stored
rows goes through ``visible_to`` (region scope, and a department only its own sector's rows)."""

from __future__ import annotations

from typing import Any

from bangfu.accounts.models import Role
from bangfu.datasets.models import SECTORS, DatasetKind
from bangfu.regions.scoping import reads_business_data

COLLECTOR_ROLES = frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE})
# Who reads the uploads (pages and API): the collectors, the departments (their own sector's), inspectors.
READER_ROLES = frozenset({*COLLECTOR_ROLES, Role.DEPARTMENT, Role.INSPECTION_GROUP})


def can_read(user: Any) -> bool:
    return reads_business_data(user) and getattr(user, "role", None) in READER_ROLES


def can_import(user: Any, kind: str) -> bool:
    if not reads_business_data(user) or getattr(user, "region_id", None) is None or kind not in SECTORS:
        return False
    role = getattr(user, "role", None)
    if role == Role.DEPARTMENT:
        return getattr(user, "sector", None) in SECTORS[kind]
    return role in COLLECTOR_ROLES


def importable_kinds(user: Any) -> list[str]:
    """The kinds ``user`` may upload, in the catalogue's order."""
    return [kind.value for kind in DatasetKind if can_import(user, kind.value)]
