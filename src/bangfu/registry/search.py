"""Household search (农户查询): one box that understands what was typed, filters, keyset pages.

What the box holds is detected, in this order (``detect_query``):

* a valid 18-character resident ID (full-width digits and a lower-case x are normalised) — exact, through
  the blind index of current members (the number itself can only be compared as an HMAC: it is encrypted);
* an 11-digit mainland mobile number — exact, through the household's phone blind index;
* other digits — a household number (户编号), exact or as a prefix;
* anything else — a name: households with a current member whose name starts with it.

Every page is exactly ONE SQL query, whatever the filters: the head's name, encrypted ID, the household
size and the village name are correlated subqueries of the page query, the programme and indicator filters
are ``EXISTS`` subqueries, and the page is a keyset page on ``id`` (no OFFSET, no COUNT: page 10,000 of a
million households costs what page 1 costs). The head's ID is decrypted and masked in Python from the
fetched token; it never leaves this module in clear.

Indexes the queries rely on (registry migrations): ``(region_code, id)`` on households for the scope range
and the keyset order; ``id_number_index`` and ``(name, region_code)`` on members; ``phone_index`` and the
partial unique index on ``household_number``; ``(household, indicator, observed_on)`` on observations.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Left
from django.utils import timezone

from bangfu.core import crypto, idnumbers
from bangfu.core.masking import mask_id_number
from bangfu.regions.codes import is_valid_code, prefix_bounds, prefix_of
from bangfu.regions.models import Region
from bangfu.regions.scoping import ScopedQuerySet
from bangfu.registry.models import (
    Household,
    HouseholdStatus,
    HouseholdType,
    Indicator,
    IndicatorObservation,
    Member,
    ProgrammeEnrolment,
    ProgrammeKind,
    Relation,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# ``indicator=ANY_INDICATOR``: households where any indicator's latest observation is a problem.
ANY_INDICATOR = "any"
# ``status=ALL_STATUSES``: active and closed households alike.
ALL_STATUSES = "all"
# What a search box may hold at most; anything longer is no name, number or ID.
MAX_QUERY_LENGTH = 50

_ID_NUMBER = re.compile(r"\d{17}[\dX]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_DIGITS = re.compile(r"\d+")


class QueryKind(Enum):
    NONE = "none"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    HOUSEHOLD_NUMBER = "household_number"
    NAME = "name"


@dataclass(frozen=True)
class DetectedQuery:
    """What the search box held: its kind and the normalised value to search for."""

    kind: QueryKind
    value: str

    @property
    def looks_like_id_number(self) -> bool:
        """Shaped like an 18-character ID but not a valid one (a typo worth pointing out when nothing is
        found)."""
        return self.kind is not QueryKind.ID_NUMBER and bool(
            _ID_NUMBER.fullmatch(idnumbers.normalize(self.value).upper())
        )


@dataclass(frozen=True)
class HouseholdRow:
    """One result: what a list needs to recognise a household, with the head's ID masked."""

    id: int
    household_number: str
    region_code: str
    village_name: str
    natural_village: str
    head_name: str
    head_id_masked: str
    size: int
    household_type: str
    household_type_label: str
    is_exited_poor: bool
    status: str
    # The member whose name or ID matched, when it is not the head (so the user sees why the row is here).
    matched_name: str = ""


@dataclass(frozen=True)
class HouseholdPage:
    rows: list[HouseholdRow]
    next_after: int | None


def detect_query(q: str) -> DetectedQuery:
    """The kind of ``q`` and its normalised value (full-width characters folded, inner spaces removed)."""
    text = "".join(unicodedata.normalize("NFKC", q or "").split())[:MAX_QUERY_LENGTH]
    if not text:
        return DetectedQuery(QueryKind.NONE, "")
    id_number = idnumbers.normalize(text).upper()
    # National household numbers can be 18 digits too; only a valid ID (check character, birth date) is
    # taken for one, and an ID with a typo is then searched as a household number (the page says so).
    if _ID_NUMBER.fullmatch(id_number) and idnumbers.is_valid(id_number):
        return DetectedQuery(QueryKind.ID_NUMBER, id_number)
    # People type phone numbers in groups ("138-1234-5678").
    compact = text.replace("-", "")
    if _MOBILE.fullmatch(compact):
        return DetectedQuery(QueryKind.PHONE, compact)
    if _DIGITS.fullmatch(text):
        return DetectedQuery(QueryKind.HOUSEHOLD_NUMBER, text)
    return DetectedQuery(QueryKind.NAME, text)


def region_prefix(region: str) -> str | None:
    """The scope prefix behind a region filter: a full 12-digit code (the picker) or a bare prefix."""
    if not region:
        return None
    if is_valid_code(region):
        return prefix_of(region)
    if region.isascii() and region.isdigit() and len(region) in {2, 4, 6, 9}:
        return region
    return None


def search_households(
    user: Any,
    *,
    q: str = "",
    region: str = "",
    household_type: str = "",
    programme: str = "",
    indicator: str = "",
    status: str = HouseholdStatus.ACTIVE,
    after: int | None = None,
    limit: int = DEFAULT_LIMIT,
    on: date | None = None,
) -> HouseholdPage:
    """One keyset page of the households ``user`` may see that match the query and filters, by id.

    ``region`` narrows to a region inside the scope (a code or a prefix; one outside the scope gives an empty
    page, never another region's rows); ``programme`` is a programme kind active on ``on`` (default today);
    ``indicator`` an indicator code (or ``"any"``) whose latest observation on or before ``on`` is a
    problem; ``status`` ``active`` (default), ``closed`` or ``all``. Unknown filter values match nothing.
    Returns at most ``limit`` rows and the cursor of the next page (None on the last page). One query.
    """
    on = on or timezone.localdate()
    limit = max(1, min(limit, MAX_LIMIT))
    households = filtered_households(
        user,
        q=q,
        region=region,
        household_type=household_type,
        programme=programme,
        indicator=indicator,
        status=status,
        on=on,
    )
    if after is not None:
        households = households.filter(pk__gt=after)
    page = list(_annotated(households, detect_query(q)).order_by("pk")[: limit + 1])
    rows = [_row(household) for household in page[:limit]]
    next_after = rows[-1].id if len(page) > limit else None
    return HouseholdPage(rows=rows, next_after=next_after)


def filtered_households(
    user: Any,
    *,
    q: str = "",
    region: str = "",
    household_type: str = "",
    programme: str = "",
    indicator: str = "",
    status: str = HouseholdStatus.ACTIVE,
    on: date,
) -> QuerySet[Household]:
    """The households of ``search_households`` as a queryset (unordered, not annotated)."""
    scoped: ScopedQuerySet[Household] = Household.objects.visible_to(user)
    if region:
        prefix = region_prefix(region)
        scoped = scoped.within(prefix) if prefix else scoped.none()
    households: QuerySet[Household] = scoped
    if status != ALL_STATUSES:
        households = (
            households.filter(status=status) if status in HouseholdStatus.values else households.none()
        )
    if household_type:
        households = (
            households.filter(household_type=household_type)
            if household_type in HouseholdType.values
            else households.none()
        )
    if programme:
        households = (
            households.filter(Exists(_active_programmes(programme, on=on)))
            if programme in ProgrammeKind.values
            else households.none()
        )
    if indicator:
        if indicator == ANY_INDICATOR or indicator in Indicator.values:
            households = households.filter(Exists(_latest_problems(indicator, on=on)))
        else:
            households = households.none()
    return _matching(households, detect_query(q))


def _matching(households: QuerySet[Household], query: DetectedQuery) -> QuerySet[Household]:
    if query.kind is QueryKind.ID_NUMBER:
        index = crypto.blind_index(query.value, kind="id_number")
        return households.filter(
            pk__in=_current_members().filter(id_number_index=index).values("household_id")
        )
    if query.kind is QueryKind.PHONE:
        return households.filter(phone_index=crypto.blind_index(query.value, kind="phone"))
    if query.kind is QueryKind.HOUSEHOLD_NUMBER:
        # A range, not LIKE: served by the household-number index under any collation (digits only).
        low, high = prefix_bounds(query.value)
        return households.filter(household_number__gte=low, household_number__lt=high)
    if query.kind is QueryKind.NAME:
        return households.filter(pk__in=_name_matches(query.value).values("household_id"))
    return households


def _current_members() -> QuerySet[Member]:
    return Member.objects.filter(left_on__isnull=True)


def _name_matches(name: str) -> QuerySet[Member]:
    members = _current_members()
    # The successor of the last character (never a surrogate, which UTF-8 cannot carry).
    last = ord(name[-1])
    if connection.vendor == "sqlite" and last not in (0xD7FF, sys.maxunicode):
        # SQLite's LIKE (case-insensitive, and with the ESCAPE clause Django adds) cannot use an index; the
        # same prefix as a range under SQLite's binary collation can — the partial index on current members'
        # names (``registry_member_current_name``). PostgreSQL's index of that name is built for LIKE.
        return members.filter(name__gte=name, name__lt=name[:-1] + chr(last + 1))
    return members.filter(name__startswith=name)


def _matched_members(query: DetectedQuery, *, per_household: bool = False) -> QuerySet[Member] | None:
    """The members a name or ID query matched (to name the one that matched, when not the head).

    ``per_household``: for a lookup inside one household (a correlated subquery per result row). A name
    prefix is then compared as the name's first characters, which no name index serves, so that the
    household's few members are read by the household index: PostgreSQL underestimates a one-character
    prefix and otherwise walked every member with that surname for each row (300 ms a page for 江 at
    1M households)."""
    if query.kind is QueryKind.ID_NUMBER:
        return _current_members().filter(id_number_index=crypto.blind_index(query.value, kind="id_number"))
    if query.kind is QueryKind.NAME:
        if per_household:
            return (
                _current_members()
                .annotate(name_start=Left("name", len(query.value)))
                .filter(name_start=query.value)
            )
        return _name_matches(query.value)
    return None


def _active_programmes(kind: str, *, on: date) -> QuerySet[ProgrammeEnrolment]:
    return ProgrammeEnrolment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on),
        household=OuterRef("pk"),
        kind=kind,
        start_date__lte=on,
    )


def _latest_problems(indicator: str, *, on: date) -> QuerySet[IndicatorObservation]:
    """Observations on or before ``on`` that are a problem and that no later observation of the same
    household and indicator supersedes (same day: the later row wins)."""
    later = IndicatorObservation.objects.filter(
        Q(observed_on__gt=OuterRef("observed_on"))
        | Q(observed_on=OuterRef("observed_on"), pk__gt=OuterRef("pk")),
        household=OuterRef("household"),
        indicator=OuterRef("indicator"),
        observed_on__lte=on,
    )
    problems = IndicatorObservation.objects.filter(
        household=OuterRef("pk"), is_problem=True, observed_on__lte=on
    )
    if indicator != ANY_INDICATOR:
        problems = problems.filter(indicator=indicator)
    return problems.filter(~Exists(later))


def _annotated(households: QuerySet[Household], query: DetectedQuery) -> QuerySet[Household]:
    """The columns of a result row, as correlated subqueries of the same SELECT (no second query)."""
    heads = _current_members().filter(household=OuterRef("pk"), relation=Relation.HEAD)
    size = (
        _current_members()
        .filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    annotations: dict[str, Any] = {
        "head_name": Subquery(heads.values("name")[:1]),
        # The raw token (a plain text output field, so it is not decrypted on load): decrypted below.
        "head_id_token": Subquery(heads.values("id_number")[:1], output_field=TextField()),
        "size": Coalesce(Subquery(size, output_field=IntegerField()), Value(0)),
        "village_name": Subquery(Region.objects.filter(code=OuterRef("region_code")).values("name")[:1]),
    }
    matched = _matched_members(query, per_household=True)
    if matched is not None:
        annotations["matched_name"] = Subquery(
            matched.filter(household=OuterRef("pk")).order_by("pk").values("name")[:1]
        )
    return households.annotate(**annotations).only(
        "pk",
        "household_number",
        "region_code",
        "natural_village",
        "household_type",
        "is_exited_poor",
        "status",
    )


def _head_id_context() -> str:
    field = Member._meta.get_field("id_number")
    return str(getattr(field, "crypto_context", ""))


def _masked_head_id(token: str | None) -> str:
    if not token:
        return ""
    try:
        return mask_id_number(crypto.decrypt(token, context=_head_id_context()))
    except crypto.DecryptionError:
        # A row the key ring cannot read (an old key removed too early) is shown as unreadable, not as
        # an error page for the whole list.
        return "******"


def _row(household: Household) -> HouseholdRow:
    head_name: str = getattr(household, "head_name", None) or ""
    matched: str = getattr(household, "matched_name", None) or ""
    return HouseholdRow(
        id=household.pk,
        household_number=household.household_number,
        region_code=household.region_code,
        village_name=getattr(household, "village_name", None) or "",
        natural_village=household.natural_village,
        head_name=head_name,
        head_id_masked=_masked_head_id(getattr(household, "head_id_token", None)),
        size=int(getattr(household, "size", 0) or 0),
        household_type=household.household_type,
        household_type_label=str(HouseholdType(household.household_type).label)
        if household.household_type in HouseholdType.values
        else household.household_type,
        is_exited_poor=household.is_exited_poor,
        status=household.status,
        matched_name=matched if matched and matched != head_name else "",
    )
