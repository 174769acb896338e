"""Supervision orders (督办单) and the escalation ladder (通报 → 约谈 → 移交纪检), RULES §10.5.

The tree: 汉滨区 (610902) with 老城街道 (东关村, 西关村) and 五里镇 (五里村); 旬阳市 (610981) with 红军村.
Problems are found on 2026-05-01 and overdue from their deadline; the clock is fixed.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from docx import Document
from PIL import Image

from bangfu.accounts import services as accounts
from bangfu.accounts.models import Role, Sector, User
from bangfu.audit.models import AuditEvent
from bangfu.rectification import services, supervision
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import (
    Escalation,
    EscalationKind,
    EventKind,
    OrderState,
    Problem,
    ProblemEvent,
    ProblemState,
    SupervisionOrder,
)
from bangfu.regions.models import Region
from tests.factories import HouseholdFactory, MemberFactory, UserFactory, new_problem
from tests.rectification.conftest import Clock

pytestmark = pytest.mark.django_db

FOUND = dt.date(2026, 5, 1)
DRAFTED = dt.date(2026, 6, 1)
HANBIN = "610902000000"
XUNYANG = "610981000000"
LAOCHENG = "610902001000"
DONGGUAN = "610902001001"
XIGUAN = "610902001002"
WULI_VILLAGE = "610902100001"
HONGJUN = "610981100001"
TOWN_UNIT = "老城街道办事处"
WULI_UNIT = "五里镇人民政府"
ID_NUMBER = "610902199001011234"
PHONE = "13812345678"


def problem(
    by: User, *, region: str = DONGGUAN, unit: str = TOWN_UNIT, due: int = 20, **extra: Any
) -> Problem:
    """A problem found on 2026-05-01, due on May ``due`` (overdue on 2026-06-01 when due < 32)."""
    day = FOUND + dt.timedelta(days=due - 1)
    return new_problem(by=by, on=FOUND, region_code=region, responsible_unit=unit, due_on=day, **extra)


def orders_as_sets() -> set[tuple[str, str, str, str, str, frozenset[int]]]:
    return {
        (
            o.recipient_unit,
            o.recipient_region_code,
            o.recipient_sector,
            o.region_code,
            o.issuing_office,
            frozenset(o.problems.values_list("pk", flat=True)),
        )
        for o in SupervisionOrder.objects.all()
    }


def order_of(*problems: Problem) -> SupervisionOrder:
    return SupervisionOrder.objects.filter(problems=problems[0]).order_by("-id").first()  # type: ignore[return-value]


def timeline(p: Problem) -> list[tuple[str, str, str]]:
    """The supervision part of a problem's timeline: kind, day, reference."""
    kinds = (
        EventKind.SUPERVISION_ORDER,
        EventKind.SUPERVISION_REPLY,
        EventKind.CIRCULAR,
        EventKind.INTERVIEW,
        EventKind.DISCIPLINE_REFERRAL,
    )
    return [
        (e.kind, e.on.isoformat(), e.reference)
        for e in ProblemEvent.objects.filter(problem=p, kind__in=kinds).order_by("on", "id")
    ]


def order_state() -> list[tuple[Any, ...]]:
    return [
        (o.pk, o.state, o.number, o.issued_on, o.reply_due_on, o.replied_on, o.reply, bool(o.document))
        for o in SupervisionOrder.objects.order_by("pk")
    ]


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile("fix.jpg", buffer.getvalue(), content_type="image/jpeg")


def county_colleague(regions: dict[str, Region], username: str = "hanbin_colleague") -> User:
    """Another clerk of the 汉滨区 office (not the one who issues the orders in these tests)."""
    return UserFactory.create(username=username, role=Role.COUNTY_OFFICE, region=regions[HANBIN])


def supervision_events() -> int:
    return ProblemEvent.objects.exclude(
        kind__in=(EventKind.CREATED, EventKind.ASSIGNED, EventKind.COLOUR_CHANGED)
    ).count()


@pytest.fixture
def overdue(clock: Clock, county_clerk: User, other_county_clerk: User) -> dict[str, Problem]:
    """Problems of two units of 汉滨区 and one of 旬阳市, all but ``later`` overdue on 2026-06-01."""
    clock.set(DRAFTED)
    return {
        "dongguan": problem(county_clerk, region=DONGGUAN, due=20),
        "xiguan": problem(county_clerk, region=XIGUAN, due=25),
        "housing": problem(county_clerk, region=DONGGUAN, due=15, responsible_sector=Sector.HOUSING),
        "later": problem(county_clerk, region=DONGGUAN, due=40),
        "wuli": problem(county_clerk, region=WULI_VILLAGE, unit=WULI_UNIT, due=10),
        "hongjun": problem(other_county_clerk, region=HONGJUN, unit="城关镇人民政府", due=10),
    }


# --- drafting ----------------------------------------------------------------------------------------------


def test_drafting_groups_exactly_the_overdue_problems_by_unit_county_and_sector(
    overdue: dict[str, Problem],
) -> None:
    assert supervision.draft_orders(on=DRAFTED) == 4
    hanbin_office = "汉滨区防止返贫监测帮扶工作专班"
    assert orders_as_sets() == {
        (
            TOWN_UNIT,
            LAOCHENG,
            "",
            HANBIN,
            hanbin_office,
            frozenset({overdue["dongguan"].pk, overdue["xiguan"].pk}),
        ),
        (TOWN_UNIT, DONGGUAN, Sector.HOUSING, HANBIN, hanbin_office, frozenset({overdue["housing"].pk})),
        (WULI_UNIT, WULI_VILLAGE, "", HANBIN, hanbin_office, frozenset({overdue["wuli"].pk})),
        (
            "城关镇人民政府",
            HONGJUN,
            "",
            XUNYANG,
            "旬阳市防止返贫监测帮扶工作专班",
            frozenset({overdue["hongjun"].pk}),
        ),
    }
    assert set(SupervisionOrder.objects.values_list("state", "drafted_on", "number")) == {
        (OrderState.DRAFT, DRAFTED, "")
    }
    created = AuditEvent.objects.filter(object_type="rectification.supervisionorder", action="create")
    assert created.count() == 4


def test_drafting_again_the_same_day_or_while_an_order_is_unanswered_drafts_nothing(
    overdue: dict[str, Problem], clock: Clock, county_clerk: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    before = orders_as_sets()
    assert supervision.draft_orders(on=DRAFTED) == 0
    supervision.issue_order(order=order_of(overdue["wuli"]), by=county_clerk, on=DRAFTED)
    # Past the reply deadline, still unanswered (and before ``later`` falls due on 06-09).
    day = clock.set(dt.date(2026, 6, 8))
    assert supervision.draft_orders(on=day) == 0
    assert orders_as_sets() == before


def test_a_problem_overdue_later_gets_its_own_draft(overdue: dict[str, Problem], clock: Clock) -> None:
    supervision.draft_orders(on=DRAFTED)
    day = clock.set(dt.date(2026, 6, 15))
    assert supervision.draft_orders(on=day) == 1
    assert set(order_of(overdue["later"]).problems.all()) == {overdue["later"]}


# --- issuing --------------------------------------------------------------------------------------------


def test_issuing_numbers_orders_per_region_and_year_and_sets_the_reply_deadline_from_policy(
    overdue: dict[str, Problem], county_clerk: User, other_county_clerk: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    first = supervision.issue_order(order=order_of(overdue["dongguan"]), by=county_clerk, on=DRAFTED)
    second = supervision.issue_order(order=order_of(overdue["wuli"]), by=county_clerk, on=DRAFTED)
    other = supervision.issue_order(order=order_of(overdue["hongjun"]), by=other_county_clerk, on=DRAFTED)
    assert [first.number, second.number, other.number] == [
        "汉滨区督办〔2026〕1号",
        "汉滨区督办〔2026〕2号",
        "旬阳市督办〔2026〕1号",
    ]
    # deadline.supervision_reply: 3 calendar days in the test policy.
    assert {first.reply_due_on, second.reply_due_on, other.reply_due_on} == {dt.date(2026, 6, 4)}
    assert (first.state, first.issued_on, first.issued_by) == (OrderState.ISSUED, DRAFTED, county_clerk)
    assert timeline(overdue["dongguan"]) == [("supervision_order", "2026-06-01", "汉滨区督办〔2026〕1号")]
    assert timeline(overdue["xiguan"]) == [("supervision_order", "2026-06-01", "汉滨区督办〔2026〕1号")]
    assert timeline(overdue["later"]) == []
    updated = AuditEvent.objects.filter(
        object_type="rectification.supervisionorder", object_id=str(first.pk), action="update"
    )
    assert [e.data["after"]["number"] for e in updated] == ["汉滨区督办〔2026〕1号"]


def test_a_given_number_and_deadline_are_kept_and_a_used_number_is_refused(
    overdue: dict[str, Problem], county_clerk: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(
        order=order_of(overdue["dongguan"]),
        by=county_clerk,
        on=DRAFTED,
        number="汉脱指督〔2026〕7号",
        reply_due_on=dt.date(2026, 6, 10),
    )
    assert (order.number, order.reply_due_on) == ("汉脱指督〔2026〕7号", dt.date(2026, 6, 10))
    before = order_state()
    with pytest.raises(RectificationRefused) as exc:
        supervision.issue_order(
            order=order_of(overdue["wuli"]), by=county_clerk, on=DRAFTED, number="汉脱指督〔2026〕7号"
        )
    assert exc.value.field == "number"
    assert order_state() == before
    # The next automatic number follows the highest of the region's numbers that year.
    assert supervision.issue_order(order=order_of(overdue["wuli"]), by=county_clerk, on=DRAFTED).number == (
        "汉滨区督办〔2026〕8号"
    )


def test_an_issued_order_cannot_be_issued_again(overdue: dict[str, Problem], county_clerk: User) -> None:
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(overdue["wuli"]), by=county_clerk, on=DRAFTED)
    with pytest.raises(RectificationRefused):
        supervision.issue_order(order=order, by=county_clerk, on=DRAFTED)
    assert SupervisionOrder.objects.get(pk=order.pk).number == "汉滨区督办〔2026〕1号"
    assert len(timeline(overdue["wuli"])) == 1


@pytest.mark.parametrize(
    "persona", ["village_cadre", "town_officer", "department_user", "other_county_clerk"]
)
def test_issuing_is_refused_to_non_supervisors_and_outside_the_scope_and_changes_nothing(
    overdue: dict[str, Problem], persona: str, request: pytest.FixtureRequest
) -> None:
    supervision.draft_orders(on=DRAFTED)
    user: User = request.getfixturevalue(persona)
    before, audited, events = order_state(), AuditEvent.objects.count(), supervision_events()
    with pytest.raises(PermissionDenied):
        supervision.issue_order(order=order_of(overdue["dongguan"]), by=user, on=DRAFTED)
    assert order_state() == before
    assert AuditEvent.objects.count() == audited
    assert supervision_events() == events


def test_an_inspection_group_issues_in_its_assigned_counties_only(
    overdue: dict[str, Problem], inspector: User, security_admin: User, regions: dict[str, Region]
) -> None:
    supervision.draft_orders(on=DRAFTED)
    xunyang_order = order_of(overdue["hongjun"])
    before, events = order_state(), supervision_events()
    # The 汉滨区 group without assignments: 旬阳市 lies outside.
    with pytest.raises(PermissionDenied):
        supervision.issue_order(order=xunyang_order, by=inspector, on=DRAFTED)
    assert order_state() == before
    assert supervision_events() == events
    assert supervision.issue_order(order=order_of(overdue["wuli"]), by=inspector, on=DRAFTED).number == (
        "汉滨区督办〔2026〕1号"
    )
    roving = accounts.create_user(
        by=security_admin,
        username="roving_group",
        role=Role.INSPECTION_GROUP,
        region=regions[HANBIN],
        assigned_regions=[regions[XUNYANG]],
        full_name="巡回督导组",
        password="Inspect-pass-2026",
    )
    issued = supervision.issue_order(order=xunyang_order, by=roving, on=DRAFTED)
    assert (issued.state, issued.number) == (OrderState.ISSUED, "旬阳市督办〔2026〕1号")


def test_an_inspection_group_is_refused_on_the_pages_outside_its_counties(
    overdue: dict[str, Problem], inspector: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    client = Client()
    client.force_login(inspector)
    xunyang = order_of(overdue["hongjun"])
    assert client.post(f"/rectification/orders/{xunyang.pk}/issue/", {"on": "2026-06-01"}).status_code == 404
    assert SupervisionOrder.objects.get(pk=xunyang.pk).state == OrderState.DRAFT
    wuli = order_of(overdue["wuli"])
    response = client.post(f"/rectification/orders/{wuli.pk}/issue/", {"on": "2026-06-01"})
    assert response.status_code == 302
    assert SupervisionOrder.objects.get(pk=wuli.pk).number == "汉滨区督办〔2026〕1号"


# --- the document -----------------------------------------------------------------------------------------


def table_rows(content: bytes) -> list[list[str]]:
    document = Document(io.BytesIO(content))
    assert len(document.tables) == 1
    return [[cell.text for cell in row.cells] for row in document.tables[0].rows]


def all_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_issued_docx_opens_and_lists_exactly_the_orders_problems_without_id_numbers_or_phones(
    clock: Clock, county_clerk: User, django_assert_num_queries: Any
) -> None:
    clock.set(DRAFTED)
    household = HouseholdFactory()
    MemberFactory(household=household, name="王一明")
    MemberFactory(household=household, name="王小红", relation="daughter")
    west = HouseholdFactory(region_code=XIGUAN)
    MemberFactory(household=west, name="李四")
    planted = problem(
        county_clerk,
        region=DONGGUAN,
        due=20,
        description=f"王一明家户主身份证{ID_NUMBER}，电话{PHONE}，王小红危房未改造",
        household=household,
    )
    # A name of another household's member is not that problem's to hide (李四 is hidden in its own row).
    other = problem(
        county_clerk,
        region=XIGUAN,
        due=25,
        description="饮水不安全 <水源> & 管网，李四、王一明反映",
        household=west,
    )
    problem(county_clerk, region=WULI_VILLAGE, unit=WULI_UNIT, due=10, description="别的单位的问题")
    supervision.draft_orders(on=DRAFTED)
    # The order's problems, their places and all their households' members: three queries, not one a row.
    draft = order_of(planted)
    with django_assert_num_queries(3):
        supervision.order_context(draft, on=DRAFTED)
    order = supervision.issue_order(order=order_of(planted), by=county_clerk, on=DRAFTED)
    with order.document.open("rb") as stored:
        content = stored.read()
    rows = table_rows(content)
    assert rows[0] == ["问题编号", "问题类别", "涉及区域", "问题描述", "整改时限", "逾期天数"]
    assert rows[1:] == [
        [
            planted.code,
            "住房",
            "东关村",
            f"***家户主身份证{'*' * 18}，电话{'*' * 11}，***危房未改造",
            "2026-05-20",
            "12",
        ],
        [other.code, "住房", "西关村", "饮水不安全 <水源> & 管网，**、王一明反映", "2026-05-25", "7"],
    ]
    text = all_text(content)
    assert ID_NUMBER not in text
    assert PHONE not in text
    assert "王小红" not in text
    assert "李四" not in text
    assert "督 办 单" in text
    assert "汉滨区督办〔2026〕1号" in text
    assert "被督办单位：老城街道办事处" in text
    assert "请于6月4日前书面回复整改情况。" in text
    assert "2026年6月1日" in text


def test_a_draft_renders_on_demand_with_its_problems(overdue: dict[str, Problem]) -> None:
    supervision.draft_orders(on=DRAFTED)
    content = supervision.render_order(order_of(overdue["wuli"]), on=DRAFTED)
    assert [row[0] for row in table_rows(content)[1:]] == [overdue["wuli"].code]
    assert "（待签发）" in all_text(content)


def test_the_download_page_serves_the_stored_document_and_audits_the_export(
    overdue: dict[str, Problem], county_clerk: User, town_officer: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(overdue["dongguan"]), by=county_clerk, on=DRAFTED)
    client = Client()
    client.force_login(town_officer)
    response = client.get(f"/rectification/orders/{order.pk}/docx/")
    assert response.status_code == 200
    assert response["Content-Type"] == supervision.DOCX_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert [row[0] for row in table_rows(response.content)[1:]] == [
        overdue["dongguan"].code,
        overdue["xiguan"].code,
    ]
    [exported] = AuditEvent.objects.filter(action="export", actor=town_officer)
    assert exported.data == {"what": "rectification.supervisionorder", "count": 2}


# --- replying -------------------------------------------------------------------------------------------


def test_the_recipient_replies_and_the_reply_is_on_every_problems_timeline(
    overdue: dict[str, Problem], clock: Clock, county_clerk: User, town_officer: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(overdue["dongguan"]), by=county_clerk, on=DRAFTED)
    day = clock.set(dt.date(2026, 6, 3))
    replied = supervision.reply_order(order=order, by=town_officer, on=day, reply="已安排施工队，月底完工")
    assert (replied.state, replied.replied_on, replied.reply) == (
        OrderState.REPLIED,
        day,
        "已安排施工队，月底完工",
    )
    for key in ("dongguan", "xiguan"):
        assert timeline(overdue[key]) == [
            ("supervision_order", "2026-06-01", "汉滨区督办〔2026〕1号"),
            ("supervision_reply", "2026-06-03", "汉滨区督办〔2026〕1号"),
        ]
    # Answered but still overdue: the reply answers for them as long as the unit was given to reply (issued
    # 06-01, due 06-04 by policy: 3 days), so they are supervised again from 06-06, not the day after.
    assert replied.reply_due_on == dt.date(2026, 6, 4)
    assert replied.follow_up_on == dt.date(2026, 6, 6)
    for quiet in (day, dt.date(2026, 6, 4), dt.date(2026, 6, 5)):
        assert supervision.draft_orders(on=clock.set(quiet)) == 0
    assert supervision.draft_orders(on=clock.set(dt.date(2026, 6, 6))) == 1
    again = order_of(overdue["dongguan"])
    assert again.pk != order.pk
    assert set(again.problems.all()) == {overdue["dongguan"], overdue["xiguan"]}
    assert supervision.draft_orders(on=clock.set(dt.date(2026, 6, 7))) == 0


def test_a_problem_closed_after_the_reply_is_not_supervised_again(
    overdue: dict[str, Problem], clock: Clock, county_clerk: User, town_officer: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(overdue["dongguan"]), by=county_clerk, on=DRAFTED)
    replied = supervision.reply_order(
        order=order, by=town_officer, on=clock.set(dt.date(2026, 6, 3)), reply="已整改"
    )
    Problem.objects.filter(pk=overdue["xiguan"].pk).update(state="closed", closed_on=dt.date(2026, 6, 5))
    assert replied.follow_up_on is not None
    assert supervision.draft_orders(on=clock.set(replied.follow_up_on)) == 1
    assert set(order_of(overdue["dongguan"]).problems.all()) == {overdue["dongguan"]}
    assert order_of(overdue["xiguan"]).pk == order.pk


@pytest.mark.parametrize("persona", ["village_cadre", "city_hq", "inspector", "other_county_clerk"])
def test_replying_is_refused_to_others_and_changes_nothing(
    overdue: dict[str, Problem], county_clerk: User, persona: str, request: pytest.FixtureRequest
) -> None:
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(overdue["dongguan"]), by=county_clerk, on=DRAFTED)
    user: User = request.getfixturevalue(persona)
    before, audited, events = order_state(), AuditEvent.objects.count(), supervision_events()
    with pytest.raises(PermissionDenied):
        supervision.reply_order(order=order, by=user, on=DRAFTED, reply="已整改")
    assert order_state() == before
    assert AuditEvent.objects.count() == audited
    assert supervision_events() == events


def test_a_draft_cannot_be_answered(overdue: dict[str, Problem], town_officer: User) -> None:
    supervision.draft_orders(on=DRAFTED)
    with pytest.raises(RectificationRefused):
        supervision.reply_order(order=order_of(overdue["dongguan"]), by=town_officer, on=DRAFTED, reply="x")
    assert timeline(overdue["dongguan"]) == []


NOT_THE_RECIPIENT = "督办单须由被督办单位回复，签发人和签发单位所在层级及以上不能代为回复。"


def test_the_issuing_office_or_a_level_above_cannot_answer_for_the_recipient(
    overdue: dict[str, Problem],
    clock: Clock,
    county_clerk: User,
    town_officer: User,
    regions: dict[str, Region],
) -> None:
    """An answer takes a late order off the ladder: only the town office (the order's recipient region)
    answers the order to 老城街道 — not the county that issued it, nor another county clerk above it."""
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(overdue["dongguan"]), by=county_clerk, on=DRAFTED)
    assert order.recipient_region_code == LAOCHENG
    colleague = county_colleague(regions)
    day = clock.set(dt.date(2026, 6, 3))
    updates = AuditEvent.objects.filter(object_type="rectification.supervisionorder", action="update")
    before, audited, events = order_state(), updates.count(), supervision_events()
    for user in (county_clerk, colleague):
        with pytest.raises(PermissionDenied) as exc:
            supervision.reply_order(order=order, by=user, on=day, reply="已督促整改")
        assert str(exc.value) == NOT_THE_RECIPIENT
    clerk = Client()
    clerk.force_login(county_clerk)
    assert clerk.get(f"/rectification/orders/{order.pk}/").context.get("reply") is None
    response = clerk.post(f"/rectification/orders/{order.pk}/reply/", {"on": "2026-06-03", "reply": "已督促"})
    assert response.status_code == 403
    assert order_state() == before
    assert updates.count() == audited
    assert supervision_events() == events
    town = Client()
    town.force_login(town_officer)
    assert town.get(f"/rectification/orders/{order.pk}/").context["reply"] is not None
    replied = supervision.reply_order(order=order, by=town_officer, on=day, reply="已安排施工队")
    assert (replied.state, replied.replied_on, replied.reply) == (OrderState.REPLIED, day, "已安排施工队")


def test_the_issuer_cannot_answer_its_own_order_and_a_department_only_in_its_sector(
    clock: Clock, county_clerk: User, department_user: User, regions: dict[str, Region]
) -> None:
    """Orders to 汉滨区 itself (a county-level problem): another clerk of the county answers, the clerk who
    issued the order does not; the medical-insurance order is answered by that department."""
    clock.set(DRAFTED)
    county_problem = problem(county_clerk, region=HANBIN, unit="汉滨区住建局", due=20)
    medical = problem(
        county_clerk,
        region=HANBIN,
        unit="汉滨区医保局",
        due=20,
        responsible_sector=Sector.MEDICAL_INSURANCE,
    )
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(county_problem), by=county_clerk, on=DRAFTED)
    sector_order = supervision.issue_order(order=order_of(medical), by=county_clerk, on=DRAFTED)
    assert (order.recipient_region_code, sector_order.recipient_sector) == (HANBIN, Sector.MEDICAL_INSURANCE)
    colleague = county_colleague(regions)
    housing_clerk = UserFactory.create(
        username="housing_clerk", role=Role.DEPARTMENT, region=regions[HANBIN], sector=Sector.HOUSING
    )
    before, audited, events = order_state(), AuditEvent.objects.count(), supervision_events()
    with pytest.raises(PermissionDenied) as exc:
        supervision.reply_order(order=order, by=county_clerk, on=DRAFTED, reply="已整改")
    assert str(exc.value) == NOT_THE_RECIPIENT
    with pytest.raises(PermissionDenied):
        supervision.reply_order(order=sector_order, by=housing_clerk, on=DRAFTED, reply="已整改")
    with pytest.raises(PermissionDenied):
        supervision.reply_order(order=order, by=department_user, on=DRAFTED, reply="已整改")
    assert order_state() == before
    assert AuditEvent.objects.count() == audited
    assert supervision_events() == events
    assert [supervision.can_answer(u, order) for u in (county_clerk, colleague, department_user)] == [
        False,
        True,
        False,
    ]
    assert supervision.reply_order(order=order, by=colleague, on=DRAFTED, reply="已整改").state == (
        OrderState.REPLIED
    )
    answered = supervision.reply_order(order=sector_order, by=department_user, on=DRAFTED, reply="已报销")
    assert (answered.state, answered.reply) == (OrderState.REPLIED, "已报销")


# --- discarding -------------------------------------------------------------------------------------------


def close(p: Problem, *, by: User, closer: User, on: dt.date) -> None:
    services.request_closure(problem=p, by=by, on=on, note="已改造", evidence=[photo()])
    services.close_problem(problem=p, by=closer, on=on)


def test_a_draft_whose_problems_were_all_closed_is_discarded_not_issued(
    overdue: dict[str, Problem], county_clerk: User, village_cadre: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    draft = order_of(overdue["housing"])
    close(overdue["housing"], by=village_cadre, closer=county_clerk, on=DRAFTED)
    assert Problem.objects.get(pk=overdue["housing"].pk).state == ProblemState.CLOSED
    before, events = order_state(), supervision_events()
    with pytest.raises(RectificationRefused) as exc:
        supervision.issue_order(order=draft, by=county_clerk, on=DRAFTED)
    assert exc.value.message == "督办单中的问题均已销号，无需签发"
    assert order_state() == before
    supervision.discard_order(order=draft, by=county_clerk, on=DRAFTED)
    assert not SupervisionOrder.objects.filter(pk=draft.pk).exists()
    assert [o[0] for o in order_state()] == [o[0] for o in before if o[0] != draft.pk]
    assert supervision_events() == events
    [deleted] = AuditEvent.objects.filter(
        object_type="rectification.supervisionorder", object_id=str(draft.pk), action="delete"
    )
    assert deleted.actor_id == county_clerk.pk
    assert deleted.data["before"]["problems"] == [overdue["housing"].pk]
    assert (deleted.data["before"]["state"], deleted.data["before"]["discarded_on"]) == (
        OrderState.DRAFT,
        "2026-06-01",
    )
    # The closed problem is not drafted again.
    assert supervision.draft_orders(on=DRAFTED) == 0


@pytest.mark.parametrize("persona", ["town_officer", "village_cadre", "other_county_clerk"])
def test_discarding_is_refused_to_non_supervisors_and_outside_the_scope_and_changes_nothing(
    overdue: dict[str, Problem], persona: str, request: pytest.FixtureRequest
) -> None:
    supervision.draft_orders(on=DRAFTED)
    user: User = request.getfixturevalue(persona)
    before, audited = order_state(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        supervision.discard_order(order=order_of(overdue["dongguan"]), by=user, on=DRAFTED)
    assert order_state() == before
    assert AuditEvent.objects.count() == audited


def test_an_issued_order_cannot_be_discarded(overdue: dict[str, Problem], county_clerk: User) -> None:
    supervision.draft_orders(on=DRAFTED)
    order = supervision.issue_order(order=order_of(overdue["wuli"]), by=county_clerk, on=DRAFTED)
    before, audited, events = order_state(), AuditEvent.objects.count(), supervision_events()
    with pytest.raises(RectificationRefused) as exc:
        supervision.discard_order(order=order, by=county_clerk, on=DRAFTED)
    assert exc.value.message == "只能作废待签发的督办单，该督办单已签发"
    assert order_state() == before
    assert AuditEvent.objects.count() == audited
    assert supervision_events() == events
    client = Client()
    client.force_login(county_clerk)
    response = client.post(f"/rectification/orders/{order.pk}/discard/")
    assert response.status_code == 302
    assert response["Location"] == f"/rectification/orders/{order.pk}/"
    assert order_state() == before


def test_the_order_page_offers_discarding_a_draft_to_its_supervisor(
    overdue: dict[str, Problem], county_clerk: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    draft = order_of(overdue["wuli"])
    client = Client()
    client.force_login(county_clerk)
    page = client.get(f"/rectification/orders/{draft.pk}/")
    assert page.context["can_discard"] is True
    assert f'action="/rectification/orders/{draft.pk}/discard/"' in page.content.decode()
    response = client.post(f"/rectification/orders/{draft.pk}/discard/")
    assert (response.status_code, response["Location"]) == (302, "/rectification/orders/")
    assert not SupervisionOrder.objects.filter(pk=draft.pk).exists()


# --- the ladder -------------------------------------------------------------------------------------------


def proposed(on: dt.date, prefix: str = "610902") -> dict[str, set[tuple[str, str, str, int]]]:
    found = supervision.escalation_candidates(region_prefix=prefix, on=on)
    return {
        kind: {(c.unit, c.unit_region_code, c.unit_sector, c.count) for c in candidates}
        for kind, candidates in found.items()
    }


def escalate(kind: str, by: User, on: dt.date, problems: list[Problem], **extra: Any) -> Escalation:
    return supervision.record_escalation(
        kind=kind,
        by=by,
        on=on,
        unit=TOWN_UNIT,
        unit_region_code=LAOCHENG,
        problems=problems,
        text="逾期未整改",
        **extra,
    )


def test_the_ladder_proposes_exactly_the_expected_units_at_each_step(
    overdue: dict[str, Problem], clock: Clock, county_clerk: User, village_cadre: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    supervision.issue_order(order=order_of(overdue["dongguan"]), by=county_clerk, on=DRAFTED)
    supervision.issue_order(order=order_of(overdue["wuli"]), by=county_clerk, on=DRAFTED)
    # The housing order is answered in time, but its problem stays overdue: it counts too.
    housing = supervision.issue_order(order=order_of(overdue["housing"]), by=county_clerk, on=DRAFTED)
    supervision.reply_order(order=housing, by=village_cadre, on=DRAFTED, reply="正在改造")
    clock.set(dt.date(2026, 6, 20))
    # A second order to the town office, for the problem that became overdue on 2026-06-10.
    assert supervision.draft_orders(on=dt.date(2026, 6, 20)) == 2
    supervision.issue_order(order=order_of(overdue["later"]), by=county_clerk, on=dt.date(2026, 6, 20))
    # Before the second order's reply deadline (06-23) only one order of each unit is late.
    assert proposed(dt.date(2026, 6, 20)) == {
        "circular": set(),
        "interview": set(),
        "discipline_referral": set(),
    }
    day = clock.set(dt.date(2026, 6, 24))
    assert proposed(day)["circular"] == {(TOWN_UNIT, LAOCHENG, "", 2)}
    # The county only sees its own county; 旬阳市 has no late orders.
    assert proposed(day, "610981")["circular"] == set()
    assert proposed(day)["interview"] == set()

    # A circular answers the late orders; a second one makes the unit due for an interview.
    problems = [overdue["dongguan"], overdue["xiguan"], overdue["later"]]
    first = escalate(EscalationKind.CIRCULAR, county_clerk, day, problems)
    assert proposed(day) == {"circular": set(), "interview": set(), "discipline_referral": set()}
    day = clock.set(dt.date(2026, 7, 1))
    second = escalate(EscalationKind.CIRCULAR, county_clerk, day, problems)
    assert [first.number, second.number] == ["汉滨区通报〔2026〕1号", "汉滨区通报〔2026〕2号"]
    assert proposed(day)["interview"] == {(TOWN_UNIT, LAOCHENG, "", 2)}
    assert proposed(day)["discipline_referral"] == set()

    interview = escalate(EscalationKind.INTERVIEW, county_clerk, day, problems, person="张主任")
    assert proposed(day) == {
        "circular": set(),
        "interview": set(),
        "discipline_referral": {(TOWN_UNIT, LAOCHENG, "", 1)},
    }
    referral = escalate(EscalationKind.DISCIPLINE_REFERRAL, county_clerk, day, problems)
    assert proposed(day)["discipline_referral"] == set()
    assert (interview.number, referral.number) == ("汉滨区约谈〔2026〕1号", "汉滨区移交〔2026〕1号")
    assert timeline(overdue["later"]) == [
        ("supervision_order", "2026-06-20", "汉滨区督办〔2026〕4号"),
        ("circular", "2026-06-24", "汉滨区通报〔2026〕1号"),
        ("circular", "2026-07-01", "汉滨区通报〔2026〕2号"),
        ("interview", "2026-07-01", "汉滨区约谈〔2026〕1号"),
        ("discipline_referral", "2026-07-01", "汉滨区移交〔2026〕1号"),
    ]
    assert timeline(overdue["wuli"]) == [("supervision_order", "2026-06-01", "汉滨区督办〔2026〕2号")]


def test_an_answered_order_counts_late_only_from_its_follow_up_day(
    overdue: dict[str, Problem], clock: Clock, county_clerk: User, village_cadre: User
) -> None:
    from bangfu.policy.models import PolicyValue

    # One late order is enough for a circular here, so that the housing unit's one order decides.
    PolicyValue.objects.create(
        key="rectification.circular_after_orders",
        region_prefix="610902",
        effective_from=dt.date(2026, 1, 1),
        value=1,
        source_note="测试依据",
    )
    supervision.draft_orders(on=DRAFTED)
    housing = supervision.issue_order(order=order_of(overdue["housing"]), by=county_clerk, on=DRAFTED)
    replied = supervision.reply_order(
        order=housing, by=village_cadre, on=clock.set(dt.date(2026, 6, 4)), reply="正在改造"
    )
    assert (replied.reply_due_on, replied.follow_up_on) == (dt.date(2026, 6, 4), dt.date(2026, 6, 7))

    def housing_units(day: dt.date) -> set[tuple[str, str, str, int]]:
        return {c for c in proposed(clock.set(day))["circular"] if c[2] == Sector.HOUSING}

    # Past the reply deadline, the problem still overdue, but the reply still answers for it.
    assert housing_units(dt.date(2026, 6, 6)) == set()
    assert housing_units(dt.date(2026, 6, 7)) == {(TOWN_UNIT, DONGGUAN, Sector.HOUSING, 1)}


def test_circulars_older_than_a_year_do_not_count_towards_an_interview(
    overdue: dict[str, Problem], clock: Clock, county_clerk: User
) -> None:
    problems = [overdue["dongguan"]]
    escalate(EscalationKind.CIRCULAR, county_clerk, dt.date(2026, 6, 1), problems)
    day = clock.set(dt.date(2027, 6, 1))
    escalate(EscalationKind.CIRCULAR, county_clerk, day, problems)
    assert proposed(day)["interview"] == set()
    assert proposed(dt.date(2027, 5, 31))["interview"] == set()
    assert proposed(dt.date(2026, 6, 1))["interview"] == set()


def test_escalating_is_refused_to_other_roles_and_outside_the_scope(
    overdue: dict[str, Problem], town_officer: User, inspector: User, other_county_clerk: User
) -> None:
    for user in (town_officer, inspector, other_county_clerk):
        with pytest.raises(PermissionDenied):
            escalate(EscalationKind.CIRCULAR, user, DRAFTED, [overdue["dongguan"]])
    assert Escalation.objects.count() == 0
    assert supervision_events() == 0


def test_an_escalation_names_only_problems_of_the_units_region_and_an_interview_names_a_person(
    overdue: dict[str, Problem], county_clerk: User
) -> None:
    with pytest.raises(RectificationRefused) as exc:
        escalate(EscalationKind.CIRCULAR, county_clerk, DRAFTED, [overdue["wuli"]])
    assert exc.value.field == "problems"
    with pytest.raises(RectificationRefused) as exc:
        escalate(EscalationKind.INTERVIEW, county_clerk, DRAFTED, [overdue["dongguan"]])
    assert exc.value.field == "person"
    assert Escalation.objects.count() == 0
    assert supervision_events() == 0


def test_an_escalation_cannot_precede_the_assignment_of_its_problems_nor_follow_today(
    overdue: dict[str, Problem], county_clerk: User
) -> None:
    assigned_later = new_problem(
        by=county_clerk,
        on=dt.date(2026, 5, 10),
        region_code=XIGUAN,
        responsible_unit=TOWN_UNIT,
        due_on=dt.date(2026, 5, 20),
    )
    assert assigned_later.assigned_on == dt.date(2026, 5, 10)
    problems = [overdue["dongguan"], assigned_later]
    for day, message in (
        (dt.date(2026, 4, 30), "日期不能早于所涉问题的交办日期 2026-05-10"),
        (dt.date(2026, 5, 9), "日期不能早于所涉问题的交办日期 2026-05-10"),
        (dt.date(2026, 6, 2), "日期不能晚于今天"),
    ):
        with pytest.raises(RectificationRefused) as exc:
            escalate(EscalationKind.CIRCULAR, county_clerk, day, problems)
        assert (exc.value.field, exc.value.message) == ("on", message)
    assert Escalation.objects.count() == 0
    assert supervision_events() == 0
    record = escalate(EscalationKind.CIRCULAR, county_clerk, dt.date(2026, 5, 10), problems)
    assert (record.on, set(record.problems.all())) == (dt.date(2026, 5, 10), set(problems))


# --- pages -----------------------------------------------------------------------------------------------


def test_the_escalation_form_records_the_units_overdue_problems_by_default(
    overdue: dict[str, Problem], county_clerk: User
) -> None:
    client = Client()
    client.force_login(county_clerk)
    response = client.post(
        "/rectification/escalations/new/",
        {
            "kind": "circular",
            "on": "2026-06-01",
            "unit": TOWN_UNIT,
            "unit_region_code": LAOCHENG,
            "text": "督办后仍未整改",
        },
    )
    assert response.status_code == 302
    record = Escalation.objects.get()
    assert set(record.problems.all()) == {overdue["dongguan"], overdue["xiguan"]}
    assert (record.number, record.issuing_office) == ("汉滨区通报〔2026〕1号", "汉滨区县区工作专班")
    page = client.get("/rectification/escalations/").content.decode()
    assert "汉滨区通报〔2026〕1号" in page


def test_the_escalation_form_takes_problem_numbers(overdue: dict[str, Problem], county_clerk: User) -> None:
    client = Client()
    client.force_login(county_clerk)
    data = {
        "kind": "interview",
        "on": "2026-06-01",
        "unit": TOWN_UNIT,
        "unit_region_code": LAOCHENG,
        "person": "张主任",
        "text": "约谈",
        "problems": f"{overdue['xiguan'].code}, ZG9999999",
    }
    response = client.post("/rectification/escalations/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"problems": ["有问题编号不存在或不在您的管辖范围内"]}
    response = client.post("/rectification/escalations/new/", {**data, "problems": overdue["xiguan"].code})
    assert response.status_code == 302
    assert list(Escalation.objects.get().problems.all()) == [overdue["xiguan"]]


def test_the_order_pages_show_drafts_to_supervisors_only(
    overdue: dict[str, Problem], clock: Clock, county_clerk: User, town_officer: User
) -> None:
    supervision.draft_orders(on=DRAFTED)
    draft = order_of(overdue["dongguan"])
    clerk, town = Client(), Client()
    clerk.force_login(county_clerk)
    town.force_login(town_officer)
    assert TOWN_UNIT in clerk.get("/rectification/orders/").content.decode()
    assert TOWN_UNIT not in town.get("/rectification/orders/").content.decode()
    assert town.get(f"/rectification/orders/{draft.pk}/").status_code == 404
    page = clerk.get(f"/rectification/orders/{draft.pk}/")
    assert page.context["issue"] is not None
    assert [row["problem"] for row in page.context["problems"]] == [overdue["dongguan"], overdue["xiguan"]]
    response = clerk.post(f"/rectification/orders/{draft.pk}/issue/", {"on": "2026-06-01"})
    assert response.status_code == 302
    page = town.get(f"/rectification/orders/{draft.pk}/")
    assert page.status_code == 200
    assert page.context["reply"] is not None
    clock.set(dt.date(2026, 6, 2))
    response = town.post(f"/rectification/orders/{draft.pk}/reply/", {"on": "2026-06-02", "reply": "整改中"})
    assert response.status_code == 302
    assert SupervisionOrder.objects.get(pk=draft.pk).state == OrderState.REPLIED
    rows = town.get("/rectification/orders/?state=replied", headers={"HX-Request": "true"})
    assert TOWN_UNIT in rows.content.decode()
    assert "<html" not in rows.content.decode()
