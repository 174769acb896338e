"""Public notices (公示 / 公告): what the appraisal and the announcement publish, per village and in the
archive; and a scan of every public page for the personal details planted in the test data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from bangfu.accounts.models import User
from bangfu.monitoring import identification
from bangfu.monitoring.models import Category, MonitoringCase, Notice, NoticeEntry, NoticeKind
from bangfu.registry.models import Household
from tests.factories import HouseholdFactory, MemberFactory, ensure_procedure_policy

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 9, 29)
VILLAGE = "610902001001"
PHONE = "13987654321"


@pytest.fixture(autouse=True)
def procedure_policy(regions: object) -> None:
    ensure_procedure_policy()


def sick_household(head: str, group: str = "三组") -> Household:
    """A household whose details must never be published: IDs, a phone, a member with a serious illness and
    a severe disability, a clerk's note with a mobile number in the group name."""
    household = HouseholdFactory(natural_village=group, phone=PHONE, is_exited_poor=True)
    MemberFactory(household=household, name=head, health="serious_illness")
    MemberFactory(
        household=household, name="孙小花", relation="daughter", health="disabled", disability_grade="1"
    )
    return household


def to_notice(household: Household, users: dict[str, User], day: dt.date = OPENED) -> MonitoringCase:
    village = users["village"]
    case = identification.report_by_cadre(
        household=household,
        by=village,
        on=day,
        difficulty="户主患大病，女儿一级残疾",
        risk_types=["因病", "因残"],
    )
    case = identification.sign_application(
        case=case, by=village, on=day, proxy_name="李", proxy_relation="网格员"
    )
    case = identification.record_home_check(
        case=case,
        by=village,
        on=day,
        members=2,
        net_income=5000,
        out_of_pocket=30000,
        needs_met=dict.fromkeys(identification.BASIC_NEEDS, True),
        risk_types=["因病", "因残"],
        note=f"户主电话{PHONE}",
    )
    case = identification.compare_data(case=case, by=village, on=day)
    return identification.record_appraisal(
        case=case, by=village, on=day, attendees=["甲", "乙", "丙"], minutes="同意"
    )


@pytest.fixture
def users(village_cadre: User, town_officer: User, county_clerk: User) -> dict[str, User]:
    return {"village": village_cadre, "town": town_officer, "county": county_clerk}


def test_the_appraisal_publishes_the_village_notice_and_the_announcement_follows(
    users: dict[str, User],
) -> None:
    first = to_notice(sick_household("孙有田"), users)
    second = to_notice(sick_household("钱多多", group="一组"), users)
    later = to_notice(sick_household("赵大", group="二组"), users, day=dt.date(2026, 10, 9))
    notice = Notice.objects.get(kind=NoticeKind.IDENTIFICATION, starts_on=OPENED)
    # One notice for the day's appraisal meeting, its period that of the cases; another for a later meeting.
    assert (notice.region_code, notice.ends_on, notice.issuer) == (
        VILLAGE,
        dt.date(2026, 10, 4),
        "东关村村民委员会",
    )
    rows = list(notice.entries.order_by("id").values_list("group", "head_name", "household_size", "category"))
    assert rows == [("三组", "孙有田", 2, ""), ("一组", "钱多多", 2, "")]
    assert NoticeEntry.objects.get(case=later).notice.starts_on == dt.date(2026, 10, 9)
    case = identification.close_notice(case=first, by=users["village"], on=dt.date(2026, 10, 4))
    case = identification.town_approve(case=case, by=users["town"], on=dt.date(2026, 10, 8))
    case = identification.county_approve(
        case=case,
        by=users["county"],
        on=dt.date(2026, 10, 8),
        category=Category.UNSTABLE_EXITED,
        risk_types=["因病"],
        no_labour=False,
    )
    identification.announce(case=case, by=users["town"], on=dt.date(2026, 10, 9))
    announcement = Notice.objects.get(kind=NoticeKind.ANNOUNCEMENT)
    assert announcement.issuer == "老城街道人民政府"  # in the town's name
    assert list(announcement.entries.values_list("head_name", "category")) == [("孙有田", "脱贫不稳定户")]
    assert second.state == "village_notice"


def test_notices_are_public_per_village_and_closed_ones_archived(users: dict[str, User]) -> None:
    to_notice(sick_household("孙有田"), users)
    anonymous = Client()
    # The period (09-29 to 10-04) is long over by now: the notice is in the archive, printable.
    board = anonymous.get(f"/notices/{VILLAGE}/").content.decode()
    assert "孙有田" not in board
    assert "目前没有正在公示的内容" in board
    archive = anonymous.get(f"/notices/{VILLAGE}/archive/").content.decode()
    assert "孙有田" in archive
    assert "防止返贫监测对象识别公示" in archive
    notice = Notice.objects.get()
    printed = anonymous.get(f"/notice/{notice.pk}/").content.decode()
    assert "公示期自2026年9月29日起至2026年10月4日止" in printed
    assert "data-print" in printed
    assert anonymous.get("/notices/610902001999/").status_code == 404
    assert anonymous.get("/notice/999999/").status_code == 404


def public_urls(code: str, notice_pk: int) -> list[str]:
    """Every URL of the project that answers without logging in, filled in for the test village."""
    patterns: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, route)
            elif isinstance(entry, URLPattern) and route.startswith(("report/", "notices/", "notice/")):
                patterns.append(route)

    walk(get_resolver(), "")
    return ["/" + re.sub(r"<int:pk>", str(notice_pk), re.sub(r"<str:code>", code, p)) for p in patterns]


def test_no_public_page_shows_an_id_number_phone_or_health_detail(users: dict[str, User]) -> None:
    household = sick_household("孙有田", group=f"三组（联系人{PHONE}）")
    case = to_notice(household, users)
    case = identification.close_notice(case=case, by=users["village"], on=dt.date(2026, 10, 4))
    case = identification.town_approve(case=case, by=users["town"], on=dt.date(2026, 10, 8))
    case = identification.county_approve(
        case=case,
        by=users["county"],
        on=dt.date(2026, 10, 8),
        category=Category.SUDDEN_HARDSHIP,
        risk_types=["因病", "因残"],
        no_labour=True,
    )
    identification.announce(case=case, by=users["town"], on=dt.date(2026, 10, 9))
    ids = list(household.members.values_list("id_number", flat=True))
    # What the household's records hold and no public page may show: ID numbers (full or masked), the
    # phone, the health status, the disability grade, the difficulty and note the cadres wrote.
    planted = [
        *ids,
        *(f"{i[:6]}********{i[-4:]}" for i in ids),
        PHONE,
        "患有大病",
        "女儿一级残疾",
        "户主电话",
    ]
    anonymous = Client()
    urls = sorted({url for notice in Notice.objects.all() for url in public_urls(VILLAGE, notice.pk)})
    assert {url.split("/")[1] for url in urls} == {"report", "notices", "notice"}
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for value in planted:
            assert value not in page, f"{url} shows {value}"
        if url.startswith(("/notices/", "/notice/")):
            # Risk types are health details too: a notice never lists them.
            assert "因病" not in page, url
            assert "因残" not in page, url
    archive = anonymous.get(f"/notices/{VILLAGE}/archive/").content.decode()
    assert "孙有田" in archive
    assert "突发严重困难户" in archive
    # The clerk's phone number typed into the group name is masked in the stored snapshot too.
    assert PHONE not in str(list(NoticeEntry.objects.values_list("group", flat=True)))
