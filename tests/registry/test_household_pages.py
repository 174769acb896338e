"""The household search page and the household page: masked IDs unless granted, reveals audited, sections
without data left out, edit links only for those who may edit, the timeline from the audit trail, bounded
queries."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.audit import events
from bangfu.audit.models import AuditEvent
from bangfu.registry.models import Household, Member
from tests.factories import (
    ChangeRequestFactory,
    EmploymentFactory,
    HouseholdFactory,
    IncomeLineFactory,
    IncomeStatementFactory,
    IndicatorObservationFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
    synthetic_id_number,
)
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

HEAD_ID = synthetic_id_number(birth=date(1968, 2, 14), sex="male", serial=41)
WIFE_ID = synthetic_id_number(birth=date(1970, 7, 1), sex="female", serial=42)
PHONE = "13991234567"
HTMX = {"HX-Request": "true"}


def masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


@pytest.fixture
def household(regions: Any) -> Household:
    """陈家 in 东关村: 陈德明 (head) and 周桂兰 (wife); their daughter married out."""
    from bangfu.core.crypto import blind_index

    made = HouseholdFactory(
        household_number="610902001001000077",
        natural_village="四组",
        phone=PHONE,
        phone_index=blind_index(PHONE, kind="phone"),
    )
    MemberFactory(
        household=made, name="陈德明", relation="head", birth_date=date(1968, 2, 14), id_number=HEAD_ID
    )
    MemberFactory(
        household=made,
        name="周桂兰",
        relation="spouse",
        sex="female",
        birth_date=date(1970, 7, 1),
        id_number=WIFE_ID,
        health="chronic",
    )
    MemberFactory(
        household=made,
        name="陈小燕",
        relation="daughter",
        sex="female",
        left_on=date(2024, 10, 1),
        left_reason="married_out",
    )
    return made


def grant(user: User) -> User:
    User.objects.filter(pk=user.pk).update(may_reveal_personal_data=True)
    user.refresh_from_db()
    return user


def page(client: Client, household: Household) -> str:
    response = client.get(f"/households/{household.pk}/")
    assert response.status_code == 200
    return str(response.content.decode())


def reveal_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="reveal").order_by("seq"))


# --- masked unless granted ----------------------------------------------------------------------------------


def test_village_cadre_without_the_grant_sees_only_masked_ids_and_no_reveal_button(
    household: Household, village_cadre: User
) -> None:
    html = page(client_for(village_cadre), household)
    assert masked(HEAD_ID) in html
    assert masked(WIFE_ID) in html
    assert HEAD_ID not in html
    assert WIFE_ID not in html
    assert PHONE not in html
    assert "139****4567" in html
    assert "/reveal" not in html
    assert "显示完整号码" not in html


def test_with_the_grant_the_reveal_button_shows_the_full_id_and_is_audited(
    household: Household, village_cadre: User
) -> None:
    client = client_for(grant(village_cadre))
    html = page(client, household)
    wife = Member.objects.get(name="周桂兰")
    assert f"/households/members/{wife.pk}/reveal/" in html
    assert WIFE_ID not in html  # nothing is revealed before the button is pressed
    assert reveal_events() == []

    response = client.post(f"/households/members/{wife.pk}/reveal/", headers=HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert f'id="member-id-{wife.pk}"' in fragment
    assert WIFE_ID in fragment
    assert "<html" not in fragment
    assert response["Cache-Control"].startswith("max-age=0")
    [event] = reveal_events()
    assert (event.actor_id, event.object_type, event.object_id, event.region_code) == (
        village_cadre.pk,
        "registry.member",
        str(wife.pk),
        "610902001001",
    )
    assert event.data == {"field": "id_number", "field_label": "证件号码", "kind": "id_number"}
    # Each reveal is its own event.
    client.post(f"/households/members/{wife.pk}/reveal/", headers=HTMX)
    assert len(reveal_events()) == 2


def test_reveal_without_htmx_shows_a_page_with_the_value(household: Household, village_cadre: User) -> None:
    wife = Member.objects.get(name="周桂兰")
    response = client_for(grant(village_cadre)).post(f"/households/members/{wife.pk}/reveal/")
    assert response.status_code == 200
    html = response.content.decode()
    assert WIFE_ID in html
    assert "本次查看已记入审计日志。" in html
    assert f'href="/households/{household.pk}/"' in html


def test_reveal_is_refused_without_the_grant_and_nothing_is_audited(
    household: Household, village_cadre: User
) -> None:
    wife = Member.objects.get(name="周桂兰")
    client = client_for(village_cadre)
    assert client.post(f"/households/members/{wife.pk}/reveal/", headers=HTMX).status_code == 403
    assert client.post(f"/households/{household.pk}/reveal-phone/", headers=HTMX).status_code == 403
    assert reveal_events() == []


def test_reveal_is_post_only(household: Household, village_cadre: User) -> None:
    wife = Member.objects.get(name="周桂兰")
    client = client_for(grant(village_cadre))
    assert client.get(f"/households/members/{wife.pk}/reveal/").status_code == 405
    assert client.get(f"/households/{household.pk}/reveal-phone/").status_code == 405
    assert reveal_events() == []


def test_revealing_another_villages_member_is_404_and_not_recorded_as_a_reveal(
    household: Household, other_village_cadre: User
) -> None:
    wife = Member.objects.get(name="周桂兰")
    response = client_for(grant(other_village_cadre)).post(
        f"/households/members/{wife.pk}/reveal/", headers=HTMX
    )
    assert response.status_code == 404
    assert reveal_events() == []
    assert AuditEvent.objects.filter(action="security", operation="out_of_scope").count() == 1


def test_phone_reveal_shows_the_full_number_and_is_audited(household: Household, town_officer: User) -> None:
    client = client_for(grant(town_officer))
    assert f"/households/{household.pk}/reveal-phone/" in page(client, household)
    response = client.post(f"/households/{household.pk}/reveal-phone/", headers=HTMX)
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    [event] = reveal_events()
    assert (event.object_type, event.object_id, event.data["field"]) == (
        "registry.household",
        str(household.pk),
        "phone",
    )


# --- what the page shows ------------------------------------------------------------------------------------


def test_sections_without_data_are_left_out(household: Household, inspector: User) -> None:
    html = page(client_for(inspector), household)
    assert "家庭成员（2人）" in html
    assert "已离户成员（1人）" in html
    assert "陈小燕" in html
    # Income: one line saying there is none (it matters for screening); nothing else about income.
    assert "尚无收支记录，无法按收入研判。" in html
    for heading in ("三保障及饮水安全", "政策享受", "务工情况", "变更记录", "待审核的变更申请"):
        assert heading not in html, heading


def test_the_full_household_page(household: Household, county_clerk: User) -> None:
    head = Member.objects.get(name="陈德明")
    statement = IncomeStatementFactory(
        household=household,
        household_size=2,
        wages=Decimal("18000.00"),
        business=Decimal("2400.00"),
        transfers=Decimal("3600.00"),
        business_expenditure=Decimal("600.00"),
        insurance_payout=Decimal("1500.00"),
        compliant_out_of_pocket=Decimal("4200.00"),
    )
    IncomeLineFactory(
        statement=statement, component="wages", item="务工收入", amount="18000.00", note="宁波建筑工地"
    )
    IncomeLineFactory(
        statement=statement, component="excluded", item="危房改造补助", amount="20000.00", note="专项"
    )
    IncomeStatementFactory(household=household, period_start=date(2024, 1, 1), period_end=date(2024, 12, 31))
    IndicatorObservationFactory(
        household=household, indicator="housing_grade", value="B", observed_on=date(2024, 5, 1)
    )
    IndicatorObservationFactory(
        household=household, indicator="housing_grade", value="C", observed_on=date(2025, 5, 1)
    )
    IndicatorObservationFactory(
        household=household,
        indicator="water_quality",
        value="met",
        observed_on=date(2025, 6, 1),
        note="自来水入户",
    )
    ProgrammeEnrolmentFactory(household=household, kind="dibao", grade="二类", start_date=date(2024, 3, 1))
    ProgrammeEnrolmentFactory(
        household=household,
        kind="temporary_assistance",
        start_date=date(2023, 1, 1),
        end_date=date(2023, 6, 30),
    )
    EmploymentFactory(member=head, employer="宁波某建筑公司", months=10)
    html = page(client_for(county_clerk), household)
    # Income by period, newest first, with per-capita from the database's generated column.
    assert html.index("2025年度") < html.index("2024年度")
    assert "23400.00" in html  # net income 18000 + 2400 + 3600 − 600
    assert "11700.00" in html  # per capita over 2
    assert "宁波建筑工地" in html
    excluded = html.split('data-testid="excluded-lines"', 1)[1].split("</ul>", 1)[0]
    assert "危房改造补助" in excluded
    assert "20000.00" in excluded
    assert "不计入" in excluded
    assert "1500.00" in html
    assert "4200.00" in html
    # Indicators: the latest of each, the older one folded as history.
    housing = html.split('data-indicator="housing_grade"', 1)[1].split("</li>\n", 1)[0]
    assert "C级（局部危房）" in housing
    assert "2025-05-01" in housing
    assert "以前的核查（1次）" in housing
    assert "自来水入户" in html
    # Programmes: the active one, the ended one folded.
    active = html.split('data-testid="active-programmes"', 1)[1].split("</ul>", 1)[0]
    ended = html.split('data-testid="ended-programmes"', 1)[1].split("</ul>", 1)[0]
    assert "低保" in active
    assert "2024-03-01 起" in active
    assert "临时救助" in ended
    assert "2023-01-01 至 2023-06-30" in ended
    assert "宁波某建筑公司" in html
    assert "10个月" in html
    # Members' details and insurance badges.
    assert "长期慢性病" in html
    assert "居民医保" in html
    assert "大病保险" in html


def test_pending_change_requests_are_listed_with_links(household: Household, town_officer: User) -> None:
    pending = ChangeRequestFactory(household=household, submitted_by=town_officer)
    ChangeRequestFactory(household=household, submitted_by=town_officer, status="rejected")
    html = page(client_for(town_officer), household)
    box = html.split('data-testid="pending-changes"', 1)[1].split("</div>", 1)[0]
    assert "本户有 1 条待审核的变更申请" in box
    assert f'href="/households/changes/{pending.pk}/"' in box
    assert box.count("<li>") == 1


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # Town and above edit directly; the village team records details and requests the rest.
        ("town_officer", {"edit", "member-add", "member-edit", "member-leave", "income", "indicator"}),
        ("village_cadre", {"edit", "member-add", "member-edit", "member-leave", "income", "indicator"}),
        ("inspector", set()),
    ],
)
def test_edit_links_only_for_those_who_may_edit(
    household: Household, persona: str, expected: set[str], request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    html = page(client_for(user), household)
    head = Member.objects.get(name="陈德明")
    links = {
        "edit": f"/households/{household.pk}/edit/",
        "member-add": f"/households/{household.pk}/members/new/",
        "member-edit": f"/households/members/{head.pk}/edit/",
        "member-leave": f"/households/members/{head.pk}/leave/",
        "income": f"/households/{household.pk}/income/new/",
        "indicator": f"/households/{household.pk}/indicators/new/",
    }
    assert {name for name, url in links.items() if f'href="{url}"' in html} == expected
    assert ("提交后由乡镇审核生效" in html) == (persona == "village_cadre")


def _fill(household: Household, *, count: int, by: User, first_year: int) -> None:
    """``count`` more rows of every kind the page shows, each with its own audit event."""
    for n in range(count):
        member = MemberFactory(household=household, name=f"陈{first_year}{n}", relation="son")
        statement = IncomeStatementFactory(
            household=household,
            period_start=date(first_year + n, 1, 1),
            period_end=date(first_year + n, 12, 31),
        )
        IncomeLineFactory(statement=statement)
        IndicatorObservationFactory(
            household=household, indicator="water_quality", observed_on=date(first_year + n, 2, 1)
        )
        ProgrammeEnrolmentFactory(household=household, member=member)
        EmploymentFactory(member=member)
        ChangeRequestFactory(household=household, member=member, submitted_by=by)
        events.updated(actor=by, obj=member, before={"health": "healthy"}, after={"health": "chronic"})


def test_the_household_page_makes_a_fixed_number_of_queries(
    household: Household, county_clerk: User, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(county_clerk)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page(client, household)
        # The session row is saved now and then (idle timeout), whatever the page: not the page's queries.
        return len([q for q in queries if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]])

    _fill(household, count=1, by=county_clerk, first_year=2000)
    one_of_each = count()
    # Many more rows of every kind: the number of queries does not grow with them (no N+1).
    _fill(household, count=6, by=county_clerk, first_year=2010)
    assert count() == one_of_each
    # Session and user, the household, members, statements and their lines, indicators, programmes,
    # employment, pending changes, the village, the timeline, the breadcrumb's and the navigation's regions.
    assert one_of_each == 13
    with django_assert_max_num_queries(16):
        page(client, household)


# --- the timeline -------------------------------------------------------------------------------------------


def test_the_timeline_tells_who_changed_what_in_plain_chinese(
    household: Household, town_officer: User
) -> None:
    wife = Member.objects.get(name="周桂兰")
    events.created(actor=town_officer, obj=household, after={"household_number": "610902001001000077"})
    events.updated(
        actor=town_officer,
        obj=wife,
        before={"health": "healthy", "critical_illness_insurance": False, "id_number": WIFE_ID},
        after={"health": "chronic", "critical_illness_insurance": True, "id_number": HEAD_ID},
    )
    # A reveal is not a change: it is not part of the timeline.
    events.revealed(actor=town_officer, obj=wife, field="id_number")
    # Another household's events do not show.
    other = HouseholdFactory()
    events.created(actor=town_officer, obj=other, after={"household_number": "x"})
    html = page(client_for(village_cadre_of(household)), household)
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.count("data-seq=") == 2
    text = " ".join(re.sub(r"<[^>]+>", " ", timeline).split())
    assert "town_officer 修改了家庭成员“周桂兰”" in text
    assert "健康状况：由“健康”改为“长期慢性病”" in timeline
    assert "参加大病保险：由“否”改为“是”" in timeline
    # In the order the model declares its fields, whatever order the stored JSON keeps.
    assert timeline.index("证件号码：") < timeline.index("健康状况：") < timeline.index("参加大病保险：")
    # Values come masked from the audit trail; the page never had the full number.
    assert f"证件号码：由“{masked(WIFE_ID)}”改为“{masked(HEAD_ID)}”" in timeline
    assert WIFE_ID not in html
    assert "新增了本户" in timeline
    # Newest first.
    assert timeline.index("修改了家庭成员") < timeline.index("新增了本户")


def test_the_timeline_of_changes_made_through_the_services(
    household: Household, town_officer: User, village_cadre: User
) -> None:
    from bangfu.registry import services

    wife = Member.objects.get(name="周桂兰")
    services.update_member(
        member=wife, by=town_officer, values={"health": "serious_illness"}, on=date(2026, 3, 1)
    )
    services.set_income_statement(
        household=household,
        by=town_officer,
        period_kind="calendar_year",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        lines=[
            {"component": "wages", "item": "务工收入", "amount": Decimal("18000.00"), "note": "宁波"},
            {"component": "excluded", "item": "危房改造补助", "amount": Decimal("20000.00"), "note": ""},
        ],
    )
    services.record_indicator(
        household=household,
        by=village_cadre,
        indicator="water_quality",
        value="unmet",
        observed_on=date(2026, 3, 2),
    )
    services.submit_change(
        by=village_cadre,
        kind="update_household",
        payload={"address": "东关村五组3号"},
        reason="搬家",
        household=household,
        on=date(2026, 3, 3),
    )
    html = page(client_for(town_officer), household)
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", timeline).split())
    assert timeline.count("data-seq=") == 4
    assert "village_cadre 提交了信息变更申请“修改农户信息" in text
    assert "住址：东关村五组3号" in text
    assert "village_cadre 新增了三保障及饮水指标“饮水水质 2026-03-02”" in text
    assert "town_officer 新增了收支情况“2025-01-01—2025-12-31”" in text
    assert "收支明细：收支项：工资性收入；明细：务工收入；金额（元）：18000.00；说明：宁波" in text
    assert "town_officer 修改了家庭成员“周桂兰” 健康状况：由“长期慢性病”改为“患有大病”" in text
    # Links to other rows (the submitter, the recorder) and empty values are left out.
    assert "提交人" not in text
    assert "（空）" not in text
    # Newest first.
    assert text.index("提交了信息变更申请") < text.index("修改了家庭成员")


def village_cadre_of(household: Household) -> User:
    from tests.factories import UserFactory

    return UserFactory(username="cadre_of_dongguan", role="village_team", region_id=household.region_code)


def test_timeline_pages_with_more(household: Household, town_officer: User) -> None:
    head = Member.objects.get(name="陈德明")
    for n in range(53):
        events.updated(actor=town_officer, obj=head, before={"skill": str(n)}, after={"skill": str(n + 1)})
    client = client_for(town_officer)
    html = page(client, household)
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.count("data-seq=") == 50
    seqs = list(
        AuditEvent.objects.filter(object_type="registry.member")
        .order_by("-seq")
        .values_list("seq", flat=True)
    )
    more = f"/households/{household.pk}/timeline/?before={seqs[49]}"
    assert f'hx-get="{more}"' in timeline
    response = client.get(more, headers=HTMX)
    assert response.status_code == 200
    rest = response.content.decode()
    assert "<html" not in rest
    assert [int(part.split('"', 2)[1]) for part in rest.split("data-seq=")[1:]] == seqs[50:]
    assert "更多" not in rest
    # Without htmx the same entries come as a page of their own.
    full = client.get(more).content.decode()
    assert full.count("data-seq=") == 3
    assert "<html" in full


# --- the search page ----------------------------------------------------------------------------------------


def test_search_by_id_shows_a_card_with_the_masked_id(household: Household, village_cadre: User) -> None:
    response = client_for(village_cadre).post("/households/", {"q": WIFE_ID})
    assert response.status_code == 200
    html = response.content.decode()
    cards = html.split('data-testid="household-cards"', 1)[1].split("</ul>", 1)[0]
    assert cards.count('data-testid="household-card"') == 1
    assert "陈德明" in cards
    assert masked(HEAD_ID) in cards
    assert "匹配成员：周桂兰" in cards
    assert f'href="/households/{household.pk}/"' in cards
    assert "按身份证号码查找（在册成员）" in html
    # The number typed is in the search box and nowhere else: no link, no hidden field, no URL carries it.
    assert html.count(WIFE_ID) == 1
    assert f'value="{WIFE_ID}"' in html


def test_an_id_search_is_never_put_in_a_url(household: Household, village_cadre: User) -> None:
    client = client_for(village_cadre)
    response = client.post("/households/", {"q": WIFE_ID, "household_type": "ordinary"}, headers=HTMX)
    assert response.status_code == 200
    # The address bar keeps the filters only.
    assert response["HX-Push-Url"] == "/households/?household_type=ordinary"
    assert WIFE_ID not in response.content.decode()


def test_a_name_search_continues_as_a_bookmarkable_get(household: Household, village_cadre: User) -> None:
    client = client_for(village_cadre)
    response = client.post("/households/", {"q": "陈德", "programme": "dibao"})
    assert response.status_code == 302
    assert response["Location"] == "/households/?q=%E9%99%88%E5%BE%B7&programme=dibao"
    pushed = client.post("/households/", {"q": "陈德"}, headers=HTMX)
    assert pushed["HX-Push-Url"] == "/households/?q=%E9%99%88%E5%BE%B7"


def test_pages_of_a_phone_search_are_posted(regions: Any, village_cadre: User) -> None:
    from bangfu.core.crypto import blind_index

    for n in range(51):
        MemberFactory(
            household=HouseholdFactory(
                household_number=f"61090200100108{n:04d}",
                phone=PHONE,
                phone_index=blind_index(PHONE, kind="phone"),
            ),
            name=f"赵{n}",
        )
    client = client_for(village_cadre)
    html = client.post("/households/", {"q": PHONE}).content.decode()
    assert html.count('data-testid="household-card"') == 50
    last = Household.objects.order_by("pk")[49]
    pager = html.split('aria-label="分页"', 1)[1].split("</nav>", 1)[0]
    assert f'<input type="hidden" name="q" value="{PHONE}">' in pager
    assert f'<input type="hidden" name="after" value="{last.pk}">' in pager
    assert "?q=" not in html
    second = client.post("/households/", {"q": PHONE, "after": last.pk}).content.decode()
    assert second.count('data-testid="household-card"') == 1


def test_htmx_search_returns_only_the_results(household: Household, village_cadre: User) -> None:
    response = client_for(village_cadre).get("/households/", {"q": "陈"}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="rows"')
    assert "<html" not in html
    assert "陈德明" in html


def test_next_page_link_keeps_the_filters(regions: Any, village_cadre: User) -> None:
    for n in range(51):
        MemberFactory(household=HouseholdFactory(household_number=f"61090200100109{n:04d}"), name=f"李{n}")
    html = (
        client_for(village_cadre)
        .get("/households/", {"q": "李", "household_type": "ordinary"})
        .content.decode()
    )
    last = Household.objects.order_by("pk")[49]
    assert f"?q=%E6%9D%8E&amp;household_type=ordinary&amp;after={last.pk}" in html
    assert "下一页" in html
    second = client_for(village_cadre).get(
        "/households/", {"q": "李", "household_type": "ordinary", "after": last.pk}
    )
    assert second.content.decode().count('data-testid="household-card"') == 1
    assert "第一页" in second.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"q": HEAD_ID[:-1] + ("1" if HEAD_ID[-1] != "1" else "2")}, "不是有效的身份证号码"),
        ({"q": synthetic_id_number(birth=date(1990, 1, 1), sex="male", serial=3)}, "没有找到证件号码为"),
        ({"q": "欧阳"}, "没有姓名以“欧阳”开头的在册成员"),
        ({"q": "13800000000"}, "没有登记这个手机号码的农户"),
        ({"q": "123"}, "没有户编号为“123”或以它开头的农户"),
        ({"household_type": "dibao"}, "没有符合筛选条件的农户。"),
    ],
)
def test_empty_results_say_what_to_do(
    household: Household, village_cadre: User, query: dict[str, str], message: str
) -> None:
    html = client_for(village_cadre).get("/households/", query).content.decode()
    empty = html.split('data-testid="empty-state"', 1)[1].split("</div>\n", 1)[0]
    assert message in empty


def test_an_empty_registry_points_an_editor_to_the_import(
    regions: Any, town_officer: User, inspector: User
) -> None:
    html = client_for(town_officer).get("/households/").content.decode()
    assert "您的管辖范围内还没有登记农户。" in html
    assert 'href="/households/imports/"' in html
    assert 'href="/households/imports/"' not in client_for(inspector).get("/households/").content.decode()


def test_filters_are_folded_on_phones_unless_one_is_set(household: Household, village_cadre: User) -> None:
    client = client_for(village_cadre)
    plain = client.get("/households/").content.decode()
    assert 'class="collapse d-md-block" id="household-filters"' in " ".join(plain.split())
    filtered = client.get("/households/", {"programme": "dibao"}).content.decode()
    assert 'class="collapse d-md-block show" id="household-filters"' in " ".join(filtered.split())


def test_another_villages_household_page_is_404_and_audited(
    household: Household, other_village_cadre: User
) -> None:
    response = client_for(other_village_cadre).get(f"/households/{household.pk}/")
    assert response.status_code == 404
    [event] = AuditEvent.objects.filter(action="security", operation="out_of_scope")
    assert event.actor_id == other_village_cadre.pk
