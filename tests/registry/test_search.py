"""Household search: what the box understands, the filters, the scope, keyset pages — one query per page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bangfu.accounts.models import User
from bangfu.registry.models import Household, HouseholdStatus, HouseholdType, Member
from bangfu.registry.search import (
    DetectedQuery,
    HouseholdRow,
    QueryKind,
    detect_query,
    search_households,
)
from tests.factories import (
    HouseholdFactory,
    IndicatorObservationFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
    synthetic_id_number,
)

pytestmark = pytest.mark.django_db

WEST_VILLAGE = "610902001002"  # 西关村, beside the village cadre's 东关村
OTHER_COUNTY_VILLAGE = "610981100001"  # 红军村 of 旬阳市
TODAY = date(2026, 6, 1)
HEAD_ID = synthetic_id_number(birth=date(1971, 5, 4), sex="male", serial=11)
WIFE_ID = synthetic_id_number(birth=date(1973, 8, 9), sex="female", serial=12)


def _household(number: str, head: str, *, region_code: str = "610902001001", **extra: Any) -> Household:
    household = HouseholdFactory(household_number=number, region_code=region_code, **extra)
    MemberFactory(household=household, name=head, relation="head")
    return household


@pytest.fixture
def zhang(regions: Any) -> Household:
    """张建国's household in 东关村: him (head), his wife 李秀英, a son who moved out."""
    household = HouseholdFactory(
        household_number="610902001001000031",
        phone="13912345678",
        phone_index="",
        household_type=HouseholdType.EXITED_POOR,
        is_exited_poor=True,
        natural_village="三组",
    )
    from bangfu.core.crypto import blind_index

    household.phone_index = blind_index("13912345678", kind="phone")
    household.save()
    MemberFactory(
        household=household, name="张建国", relation="head", birth_date=date(1971, 5, 4), id_number=HEAD_ID
    )
    MemberFactory(
        household=household,
        name="李秀英",
        relation="spouse",
        sex="female",
        birth_date=date(1973, 8, 9),
        id_number=WIFE_ID,
    )
    MemberFactory(household=household, name="张小军", relation="son", left_on=date(2025, 9, 1))
    return household


def _ids(rows: list[HouseholdRow]) -> list[int]:
    return [row.id for row in rows]


# --- what the box understands -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (HEAD_ID, DetectedQuery(QueryKind.ID_NUMBER, HEAD_ID)),
        # Full-width digits, spaces typed in groups and a lower-case x are folded.
        (
            "６１０９０２ １９７１０５０４ ０２３" + HEAD_ID[-1],
            DetectedQuery(QueryKind.ID_NUMBER, HEAD_ID),
        ),
        ("138 1234 5678", DetectedQuery(QueryKind.PHONE, "13812345678")),
        ("138-1234-5678", DetectedQuery(QueryKind.PHONE, "13812345678")),
        ("6109020010010", DetectedQuery(QueryKind.HOUSEHOLD_NUMBER, "6109020010010")),
        # 18 digits that are no valid ID (a national household number): a household number.
        ("610902001001000031", DetectedQuery(QueryKind.HOUSEHOLD_NUMBER, "610902001001000031")),
        ("12345678901", DetectedQuery(QueryKind.HOUSEHOLD_NUMBER, "12345678901")),
        (" 张建 ", DetectedQuery(QueryKind.NAME, "张建")),
        ("", DetectedQuery(QueryKind.NONE, "")),
    ],
)
def test_the_search_box_detects_what_was_typed(typed: str, expected: DetectedQuery) -> None:
    assert detect_query(typed) == expected


def test_an_id_number_with_a_wrong_check_character_is_pointed_out() -> None:
    wrong = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    detected = detect_query(wrong)
    assert detected.kind is QueryKind.HOUSEHOLD_NUMBER
    assert detected.looks_like_id_number
    assert not detect_query(HEAD_ID).looks_like_id_number


# --- one query per page -------------------------------------------------------------------------------------


def test_search_by_id_number_finds_the_household_in_one_query(
    zhang: Household, village_cadre: User, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        page = search_households(village_cadre, q=HEAD_ID)
    assert page.next_after is None
    assert page.rows == [
        HouseholdRow(
            id=zhang.pk,
            household_number="610902001001000031",
            region_code="610902001001",
            village_name="东关村",
            natural_village="三组",
            head_name="张建国",
            head_id_masked=HEAD_ID[:6] + "********" + HEAD_ID[-4:],
            size=2,
            household_type="exited_poor",
            household_type_label="脱贫户",
            is_exited_poor=True,
            status="active",
        )
    ]


def test_search_by_a_members_id_number_names_the_member_that_matched(
    zhang: Household, village_cadre: User, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        page = search_households(village_cadre, q=WIFE_ID.lower())
    assert [(row.id, row.head_name, row.matched_name) for row in page.rows] == [
        (zhang.pk, "张建国", "李秀英")
    ]


def test_the_id_number_of_a_member_who_left_finds_nothing(zhang: Household, village_cadre: User) -> None:
    son = Member.objects.get(household=zhang, name="张小军")
    assert search_households(village_cadre, q=son.id_number).rows == []


def test_search_by_name_prefix_in_one_query(
    zhang: Household, village_cadre: User, django_assert_num_queries: Any
) -> None:
    other = _household("610902001001000032", "张三")
    _household("610902001001000033", "王五")
    with django_assert_num_queries(1):
        page = search_households(village_cadre, q="张")
    assert _ids(page.rows) == [zhang.pk, other.pk]
    # A member who left is no longer found by name.
    assert search_households(village_cadre, q="张小军").rows == []
    # The spouse's name finds the household, naming her.
    assert [(row.id, row.matched_name) for row in search_households(village_cadre, q="李秀").rows] == [
        (zhang.pk, "李秀英")
    ]


def test_search_by_mobile_number_uses_the_phone_index(zhang: Household, village_cadre: User) -> None:
    assert _ids(search_households(village_cadre, q="139 1234 5678").rows) == [zhang.pk]
    assert search_households(village_cadre, q="13912345670").rows == []


def test_search_by_household_number_exact_or_prefix(zhang: Household, village_cadre: User) -> None:
    other = _household("610902001001000132", "王五")
    assert _ids(search_households(village_cadre, q="610902001001000031").rows) == [zhang.pk]
    assert _ids(search_households(village_cadre, q="6109020010010000").rows) == [zhang.pk]
    assert _ids(search_households(village_cadre, q="61090200100100").rows) == [zhang.pk, other.pk]
    assert search_households(village_cadre, q="7109").rows == []


# --- scope --------------------------------------------------------------------------------------------------


def test_another_villages_household_is_not_found_even_by_its_exact_id(
    zhang: Household, other_village_cadre: User, town_officer: User, other_county_clerk: User
) -> None:
    assert search_households(other_village_cadre, q=HEAD_ID).rows == []
    assert search_households(other_county_clerk, q="张建国").rows == []
    assert _ids(search_households(town_officer, q=HEAD_ID).rows) == [zhang.pk]


def test_departments_and_admin_roles_find_nothing(
    zhang: Household, department_user: User, auditor: User, security_admin: User
) -> None:
    for user in (department_user, auditor, security_admin):
        assert search_households(user).rows == [], user


def test_region_filter_narrows_inside_the_scope_and_cannot_widen_it(
    zhang: Household, town_officer: User, village_cadre: User
) -> None:
    west = _household("610902001002000001", "赵六", region_code=WEST_VILLAGE)
    assert _ids(search_households(town_officer).rows) == [zhang.pk, west.pk]
    assert _ids(search_households(town_officer, region=WEST_VILLAGE).rows) == [west.pk]
    assert _ids(search_households(town_officer, region="610902001").rows) == [zhang.pk, west.pk]
    # A region outside the scope, or no region code at all, gives nothing rather than more.
    assert search_households(village_cadre, region=WEST_VILLAGE).rows == []
    # A region above the scope is intersected with it: still only the user's own village.
    assert _ids(search_households(village_cadre, region="6109").rows) == [zhang.pk]
    assert search_households(town_officer, region="not-a-code").rows == []


# --- filters ------------------------------------------------------------------------------------------------


def test_filter_by_household_type_and_status(zhang: Household, village_cadre: User) -> None:
    ordinary = _household("610902001001000040", "王五")
    closed = _household("610902001001000041", "孙七", status=HouseholdStatus.CLOSED)
    assert _ids(search_households(village_cadre, household_type="exited_poor").rows) == [zhang.pk]
    assert _ids(search_households(village_cadre, household_type="ordinary").rows) == [ordinary.pk]
    assert _ids(search_households(village_cadre).rows) == [zhang.pk, ordinary.pk]
    assert _ids(search_households(village_cadre, status="closed").rows) == [closed.pk]
    assert _ids(search_households(village_cadre, status="all").rows) == [zhang.pk, ordinary.pk, closed.pk]
    assert search_households(village_cadre, household_type="nonsense").rows == []


def test_filter_by_programme_active_on_the_day(
    zhang: Household, village_cadre: User, django_assert_num_queries: Any
) -> None:
    ended = _household("610902001001000050", "王五")
    future = _household("610902001001000051", "赵六")
    ProgrammeEnrolmentFactory(household=zhang, kind="dibao", start_date=date(2024, 3, 1))
    ProgrammeEnrolmentFactory(
        household=ended, kind="dibao", start_date=date(2023, 1, 1), end_date=date(2026, 5, 31)
    )
    ProgrammeEnrolmentFactory(household=future, kind="dibao", start_date=date(2026, 7, 1))
    ProgrammeEnrolmentFactory(household=future, kind="public_welfare_post", start_date=date(2026, 1, 1))
    with django_assert_num_queries(1):
        page = search_households(village_cadre, programme="dibao", on=TODAY)
    assert _ids(page.rows) == [zhang.pk]
    assert _ids(search_households(village_cadre, programme="dibao", on=date(2026, 5, 31)).rows) == [
        zhang.pk,
        ended.pk,
    ]
    assert _ids(search_households(village_cadre, programme="public_welfare_post", on=TODAY).rows) == [
        future.pk
    ]


def test_filter_by_indicator_uses_the_latest_observation(
    zhang: Household, village_cadre: User, django_assert_num_queries: Any
) -> None:
    fixed = _household("610902001001000060", "王五")
    water = _household("610902001001000061", "赵六")
    # 张: a D-grade house since March.
    IndicatorObservationFactory(
        household=zhang, indicator="housing_grade", value="B", observed_on=date(2025, 3, 1)
    )
    IndicatorObservationFactory(
        household=zhang, indicator="housing_grade", value="D", observed_on=date(2026, 3, 1)
    )
    # 王: was C, renovated to B since.
    IndicatorObservationFactory(
        household=fixed, indicator="housing_grade", value="C", observed_on=date(2025, 3, 1)
    )
    IndicatorObservationFactory(
        household=fixed, indicator="housing_grade", value="B", observed_on=date(2026, 4, 1)
    )
    # 赵: a water-quality problem.
    IndicatorObservationFactory(
        household=water, indicator="water_quality", value="unmet", observed_on=date(2026, 2, 1)
    )
    with django_assert_num_queries(1):
        page = search_households(village_cadre, indicator="housing_grade", on=TODAY)
    assert _ids(page.rows) == [zhang.pk]
    # Before the renovation 王's house was the problem, and 张's was still fine.
    assert _ids(search_households(village_cadre, indicator="housing_grade", on=date(2025, 6, 1)).rows) == [
        fixed.pk
    ]
    assert _ids(search_households(village_cadre, indicator="any", on=TODAY).rows) == [zhang.pk, water.pk]
    assert _ids(search_households(village_cadre, indicator="water_quality", on=TODAY).rows) == [water.pk]


def test_filters_combine_with_the_query(zhang: Household, village_cadre: User) -> None:
    IndicatorObservationFactory(
        household=zhang, indicator="housing_grade", value="C", observed_on=date(2026, 3, 1)
    )
    other = _household("610902001001000070", "张三")
    IndicatorObservationFactory(
        household=other, indicator="housing_grade", value="D", observed_on=date(2026, 3, 1)
    )
    page = search_households(
        village_cadre, q="张", indicator="housing_grade", household_type="ordinary", on=TODAY
    )
    assert _ids(page.rows) == [other.pk]


# --- keyset pages -------------------------------------------------------------------------------------------


def test_keyset_pages_cover_every_household_once_in_one_query_each(
    regions: Any, county_clerk: User, django_assert_num_queries: Any
) -> None:
    made = [_household(f"61090200100100{n:04d}", f"王{n}") for n in range(7)]
    seen: list[int] = []
    after: int | None = None
    pages = 0
    while True:
        with django_assert_num_queries(1):
            page = search_households(county_clerk, after=after, limit=3)
        seen += _ids(page.rows)
        pages += 1
        if page.next_after is None:
            break
        assert page.next_after == page.rows[-1].id
        after = page.next_after
    assert seen == [household.pk for household in made]
    assert pages == 3


def test_a_full_last_page_has_no_next_cursor(regions: Any, village_cadre: User) -> None:
    made = [_household(f"61090200100100{n:04d}", f"王{n}") for n in range(3)]
    page = search_households(village_cadre, limit=3)
    assert (_ids(page.rows), page.next_after) == ([h.pk for h in made], None)


def test_a_household_without_a_head_is_listed_with_blanks(regions: Any, village_cadre: User) -> None:
    household = HouseholdFactory(household_number="610902001001000090")
    row = search_households(village_cadre).rows[0]
    assert (row.id, row.head_name, row.head_id_masked, row.size) == (household.pk, "", "", 0)
