"""The registry API (/api/v1/households, /members, /change-requests): what each route answers, and that it
reads and writes through the same scoping and services as the pages.

Calls go with a bearer token (``ApiTokenFactory``) unless a test is about the session. Exact JSON is asserted
where a client depends on the shape; every refusal is checked to have changed nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.api import api
from bangfu.audit.models import AuditEvent
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.registry import services
from bangfu.registry.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Household,
    IncomeStatement,
    IndicatorObservation,
    Member,
)
from tests.factories import (
    ApiTokenFactory,
    EmploymentFactory,
    HouseholdFactory,
    IndicatorObservationFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
    UserFactory,
    synthetic_id_number,
)
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

VILLAGE = "610902001001"  # 东关村
WEST_VILLAGE = "610902001002"  # 西关村
HEAD_ID = synthetic_id_number(birth=dt.date(1971, 5, 4), sex="male", serial=11)
WIFE_ID = synthetic_id_number(birth=dt.date(1973, 8, 9), sex="female", serial=12)
SON_ID = synthetic_id_number(birth=dt.date(1998, 2, 3), sex="male", serial=13)
NEW_HEAD_ID = synthetic_id_number(birth=dt.date(1985, 10, 1), sex="male", serial=21)
PHONE = "13912345678"
NOT_FOUND = {"code": "not_found", "message": "未找到该对象，或不在您的管辖范围内"}


def forbidden(message: str) -> dict[str, str]:
    """A 403 answer carrying the service's own reason."""
    return {"code": "forbidden", "message": message}


NO_READ = forbidden("您的角色无权查看农户信息。")
NO_WRITE = forbidden("您没有修改农户信息的权限。")


class Api:
    """A client that sends the user's bearer token and JSON bodies."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.client = Client(headers={"Authorization": f"Bearer {ApiTokenFactory(user=user).raw}"})

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        call = getattr(self.client, method)
        return call(f"/api/v1{path}", data=json.dumps(body or {}), content_type="application/json")


def api_for(user: User) -> Api:
    return Api(user)


@pytest.fixture
def zhang(regions: Any) -> Household:
    """张建国's household in 东关村: him (head), his wife 李秀英, a son 张伟 who moved out in 2024."""
    household = HouseholdFactory(
        household_number="610902001001000031",
        phone=PHONE,
        household_type="exited_poor",
        is_exited_poor=True,
        natural_village="三组",
        address="东关村三组5号",
    )
    MemberFactory(
        household=household, name="张建国", relation="head", birth_date=dt.date(1971, 5, 4), id_number=HEAD_ID
    )
    MemberFactory(
        household=household,
        name="李秀英",
        sex="female",
        relation="spouse",
        birth_date=dt.date(1973, 8, 9),
        id_number=WIFE_ID,
        health="chronic",
    )
    MemberFactory(
        household=household,
        name="张伟",
        relation="son",
        birth_date=dt.date(1998, 2, 3),
        id_number=SON_ID,
        left_on=dt.date(2024, 9, 1),
        left_reason="moved_out",
    )
    return household


def _member(household: Household, name: str) -> Member:
    return Member.objects.get(household=household, name=name)


def _head_payload(**extra: Any) -> dict[str, Any]:
    return {"name": "赵新民", "id_number": NEW_HEAD_ID, "relation": "head", **extra}


def _registry_rows() -> Any:
    return (
        list(Household.objects.order_by("pk").values_list("pk", "household_type", "address", "phone_index")),
        list(Member.objects.order_by("pk").values_list("pk", "name", "relation", "left_on", "health")),
        list(IncomeStatement.objects.values_list("pk", "wages")),
        IndicatorObservation.objects.count(),
    )


# --- reading ------------------------------------------------------------------------------------------------


def test_household_list_shows_masked_rows_of_the_callers_scope(zhang: Household, village_cadre: User) -> None:
    HouseholdFactory(region_code=WEST_VILLAGE)  # another village: not listed

    response = api_for(village_cadre).get("/households")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": zhang.pk,
                "household_number": "610902001001000031",
                "region_code": VILLAGE,
                "village_name": "东关村",
                "natural_village": "三组",
                "head_name": "张建国",
                "head_id_number": mask_id_number(HEAD_ID),
                "size": 2,
                "household_type": "exited_poor",
                "household_type_label": "脱贫户",
                "is_exited_poor": True,
                "status": "active",
                "status_label": "正常",
                "matched_name": "",
            }
        ],
        "next_after": None,
    }
    assert HEAD_ID not in response.content.decode()


def test_household_list_pages_by_keyset_and_filters(county_clerk: User, regions: Any) -> None:
    households = [HouseholdFactory(household_type="dibao") for _ in range(3)]
    for household in households:
        MemberFactory(household=household, relation="head")
    HouseholdFactory(household_type="ordinary")
    client = api_for(county_clerk)

    first = client.get("/households", household_type="dibao", limit=2).json()
    second = client.get("/households", household_type="dibao", limit=2, after=first["next_after"]).json()

    assert [item["id"] for item in first["items"]] == [households[0].pk, households[1].pk]
    assert first["next_after"] == households[1].pk
    assert [item["id"] for item in second["items"]] == [households[2].pk]
    assert second["next_after"] is None


def test_household_list_finds_a_member_by_id_number(zhang: Household, town_officer: User) -> None:
    items = api_for(town_officer).get("/households", q=WIFE_ID).json()["items"]
    assert [(item["id"], item["matched_name"]) for item in items] == [(zhang.pk, "李秀英")]


@pytest.mark.parametrize("limit", [0, 201])
def test_household_list_refuses_a_page_size_out_of_range(limit: int, county_clerk: User) -> None:
    response = api_for(county_clerk).get("/households", limit=limit)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_household_list_is_a_bounded_number_of_queries(
    county_clerk: User, regions: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        household = HouseholdFactory()
        MemberFactory(household=household, relation="head")
        MemberFactory(household=household, relation="spouse", sex="female")
    client = api_for(county_clerk)
    # Token and its user (1), the search page (1), the token's last-use stamp (at most 1 a minute).
    with django_assert_max_num_queries(3):
        response = client.get("/households", limit=200)
    assert len(response.json()["items"]) == 30


def test_household_detail_has_members_programmes_indicators_income_and_employment(
    zhang: Household, county_clerk: User
) -> None:
    head, wife = _member(zhang, "张建国"), _member(zhang, "李秀英")
    son = _member(zhang, "张伟")
    dibao = ProgrammeEnrolmentFactory(household=zhang, monthly_amount=Decimal("460.00"))
    ProgrammeEnrolmentFactory(
        household=zhang, kind="relocation", start_date=dt.date(2019, 1, 1), end_date=dt.date(2020, 1, 1)
    )
    IndicatorObservationFactory(household=zhang, value="C", observed_on=dt.date(2025, 4, 1))
    housing = IndicatorObservationFactory(household=zhang, value="B", observed_on=dt.date(2026, 3, 1))
    water = IndicatorObservationFactory(
        household=zhang,
        indicator="water_quality",
        value="unmet",
        observed_on=dt.date(2026, 2, 1),
        note="浑浊",
    )
    statement = services.set_income_statement(
        household=zhang,
        by=county_clerk,
        period_kind="calendar_year",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        lines=[
            {"component": "wages", "item": "务工收入", "amount": "24000.5", "note": "苏州电子厂"},
            {"component": "transfers", "item": "低保金", "amount": "5520", "note": ""},
            {"component": "excluded", "item": "危房改造补助", "amount": "20000", "note": "专项补助"},
        ],
    )
    lines = list(statement.lines.order_by("pk"))
    work = EmploymentFactory(member=head, months=9, transport_subsidy=Decimal("300"))

    response = api_for(county_clerk).get(f"/households/{zhang.pk}")

    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k not in {"members", "income_statements"}} == {
        "id": zhang.pk,
        "household_number": "610902001001000031",
        "region_code": VILLAGE,
        "village_name": "东关村",
        "natural_village": "三组",
        "address": "东关村三组5号",
        "household_type": "exited_poor",
        "household_type_label": "脱贫户",
        "is_exited_poor": True,
        "relocated": False,
        "resettlement_site": "",
        "phone": mask_phone(PHONE),
        "status": "active",
        "status_label": "正常",
        "closed_on": None,
        "closed_reason": "",
        "size": 2,
        "programmes": [
            {
                "id": dibao.pk,
                "kind": "dibao",
                "kind_label": "低保",
                "grade": "二类",
                "member_id": None,
                "start_date": "2024-03-01",
                "end_date": None,
                "monthly_amount": "460.00",
                "note": "",
            }
        ],
        "indicators": [
            {
                "id": housing.pk,
                "indicator": "housing_grade",
                "indicator_label": "住房安全鉴定等级",
                "value": "B",
                "value_label": "B级",
                "is_problem": False,
                "observed_on": "2026-03-01",
                "note": "",
            },
            {
                "id": water.pk,
                "indicator": "water_quality",
                "indicator_label": "饮水水质",
                "value": "unmet",
                "value_label": "不达标（有问题）",
                "is_problem": True,
                "observed_on": "2026-02-01",
                "note": "浑浊",
            },
        ],
        "employments": [
            {
                "id": work.pk,
                "member_id": head.pk,
                "member_name": "张建国",
                "employer": "苏州某电子厂",
                "industry": "制造业",
                "place": "out_of_province",
                "place_label": "省外",
                "place_detail": "",
                "channel": "organised",
                "channel_label": "组织化劳务输出",
                "start_date": "2025-03-01",
                "end_date": None,
                "months": 9,
                "transport_subsidy": "300.00",
            }
        ],
    }
    # Current members first (the head leading), the son who left last; ID numbers masked.
    assert [(m["id"], m["id_number"], m["is_current"]) for m in body["members"]] == [
        (head.pk, mask_id_number(HEAD_ID), True),
        (wife.pk, mask_id_number(WIFE_ID), True),
        (son.pk, mask_id_number(SON_ID), False),
    ]
    assert body["members"][1] == {
        "id": wife.pk,
        "household_id": zhang.pk,
        "region_code": VILLAGE,
        "name": "李秀英",
        "id_number": mask_id_number(WIFE_ID),
        "sex": "female",
        "sex_label": "女",
        "birth_date": "1973-08-09",
        "relation": "spouse",
        "relation_label": "配偶",
        "ethnicity": "汉族",
        "political_status": "masses",
        "political_status_label": "群众",
        "education": "",
        "education_label": "",
        "school_status": "not_in_school",
        "school_status_label": "非在校生",
        "health": "chronic",
        "health_label": "长期慢性病",
        "disability_grade": "",
        "disability_grade_label": "",
        "labour_capacity": "ordinary",
        "labour_capacity_label": "普通劳动力",
        "skill": "",
        "resident_medical_insurance": True,
        "employee_medical_insurance": False,
        "critical_illness_insurance": True,
        "resident_pension": False,
        "employee_pension": False,
        "joined_on": None,
        "left_on": None,
        "left_reason": "",
        "left_reason_label": "",
        "is_current": True,
    }
    assert body["members"][2]["left_reason_label"] == "户籍迁出"
    # Net income 29520.50 for 2 members; the house-repair grant is listed and not counted.
    assert body["income_statements"] == [
        {
            "id": statement.pk,
            "year": 2025,
            "period_kind": "calendar_year",
            "period_kind_label": "自然年度",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "household_size": 2,
            "wages": "24000.50",
            "business": "0.00",
            "property": "0.00",
            "transfers": "5520.00",
            "business_expenditure": "0.00",
            "insurance_payout": "0.00",
            "compliant_out_of_pocket": "0.00",
            "net_income": "29520.50",
            "net_income_per_capita": "14760.25",
            "lines": [
                {
                    "id": lines[0].pk,
                    "component": "wages",
                    "component_label": "工资性收入",
                    "item": "务工收入",
                    "amount": "24000.50",
                    "note": "苏州电子厂",
                    "counted": True,
                },
                {
                    "id": lines[1].pk,
                    "component": "transfers",
                    "component_label": "转移性收入",
                    "item": "低保金",
                    "amount": "5520.00",
                    "note": "",
                    "counted": True,
                },
                {
                    "id": lines[2].pk,
                    "component": "excluded",
                    "component_label": "不计入收入的项目",
                    "item": "危房改造补助",
                    "amount": "20000.00",
                    "note": "专项补助",
                    "counted": False,
                },
            ],
        }
    ]
    for number in (HEAD_ID, WIFE_ID, SON_ID, PHONE):
        assert number not in response.content.decode()


def test_household_detail_is_a_bounded_number_of_queries_whatever_its_size(
    zhang: Household, county_clerk: User, django_assert_max_num_queries: Any
) -> None:
    for number in range(8):
        member = MemberFactory(household=zhang, relation="daughter", sex="female")
        EmploymentFactory(member=member)
        ProgrammeEnrolmentFactory(household=zhang, member=member, kind="public_welfare_post")
        IndicatorObservationFactory(household=zhang, observed_on=dt.date(2025, 1, 1 + number))
        services.set_income_statement(
            household=zhang,
            by=county_clerk,
            period_kind="calendar_year",
            period_start=dt.date(2010 + number, 1, 1),
            period_end=dt.date(2010 + number, 12, 31),
            lines=[{"component": "wages", "item": "务工", "amount": "1000", "note": ""} for _ in range(3)],
        )
    client = api_for(county_clerk)
    # Token (1), the household with its village (1), members, programmes, observations, statements, lines,
    # employment (6), the token's last-use stamp (1).
    with django_assert_max_num_queries(9):
        response = client.get(f"/households/{zhang.pk}")
    body = response.json()
    assert (len(body["members"]), len(body["income_statements"]), len(body["employments"])) == (11, 8, 8)


def test_a_token_of_another_county_gets_404_and_the_attempt_is_audited(
    zhang: Household, other_county_clerk: User
) -> None:
    client = api_for(other_county_clerk)
    member = _member(zhang, "张建国")

    for path in (f"/households/{zhang.pk}", f"/members/{member.pk}"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)

    attempts = AuditEvent.objects.filter(operation="out_of_scope").order_by("seq")
    assert [(e.actor_id, e.data["detail"]["model"], e.data["detail"]["lookup"]) for e in attempts] == [
        (other_county_clerk.pk, "registry.Household", {"pk": zhang.pk}),
        (other_county_clerk.pk, "registry.Member", {"pk": member.pk}),
    ]


def test_a_household_that_does_not_exist_is_404_without_an_audit_event(
    county_clerk: User, regions: Any
) -> None:
    response = api_for(county_clerk).get("/households/999999")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not AuditEvent.objects.filter(operation="out_of_scope").exists()


@pytest.mark.parametrize("persona", ["department_user"])
def test_a_sector_department_is_refused_the_registry(
    persona: str, zhang: Household, request: pytest.FixtureRequest
) -> None:
    client = api_for(request.getfixturevalue(persona))
    for path in ("/households", f"/households/{zhang.pk}", "/members", "/change-requests"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (403, NO_READ), path


@pytest.mark.parametrize("persona", ["auditor", "security_admin", "system_admin"])
def test_the_admin_roles_are_refused_the_registry(
    persona: str, zhang: Household, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(persona))
    for path in ("/households", f"/households/{zhang.pk}", "/members", "/change-requests"):
        response = client.get(f"/api/v1{path}")
        assert (response.status_code, response.json()) == (403, NO_READ), path


def test_the_session_answers_like_the_token(zhang: Household, town_officer: User) -> None:
    by_session = client_for(town_officer).get(f"/api/v1/households/{zhang.pk}")
    by_token = api_for(town_officer).get(f"/households/{zhang.pk}")
    assert by_session.status_code == by_token.status_code == 200
    assert by_session.json() == by_token.json()


# --- members and revealing ----------------------------------------------------------------------------------


def test_members_are_found_by_exact_id_number_through_the_blind_index(
    zhang: Household, village_cadre: User
) -> None:
    # Typed with spaces and a lower-case x where it has one: the same person.
    typed = " ".join([WIFE_ID[:6], WIFE_ID[6:14], WIFE_ID[14:].lower()])
    wife = _member(zhang, "李秀英")

    response = api_for(village_cadre).get("/members", id_number=typed)

    assert response.json() == {
        "items": [
            {
                "id": wife.pk,
                "household_id": zhang.pk,
                "household_number": "610902001001000031",
                "region_code": VILLAGE,
                "name": "李秀英",
                "id_number": mask_id_number(WIFE_ID),
                "sex": "female",
                "sex_label": "女",
                "birth_date": "1973-08-09",
                "relation": "spouse",
                "relation_label": "配偶",
                "is_current": True,
                "left_on": None,
            }
        ],
        "next_after": None,
    }


def test_members_are_found_by_name_prefix_within_scope_only(
    zhang: Household, other_village_cadre: User, village_cadre: User
) -> None:
    west = HouseholdFactory(region_code=WEST_VILLAGE)
    MemberFactory(household=west, name="张三", relation="head")

    mine = api_for(village_cadre).get("/members", q="张").json()["items"]
    theirs = api_for(other_village_cadre).get("/members", q="张").json()["items"]
    current = api_for(village_cadre).get("/members", q="张", current="true").json()["items"]

    assert [m["name"] for m in mine] == ["张建国", "张伟"]
    assert [m["name"] for m in theirs] == ["张三"]
    assert [m["name"] for m in current] == ["张建国"]


def test_member_and_change_lists_are_a_bounded_number_of_queries(
    village_cadre: User, regions: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(20):
        household = HouseholdFactory()
        MemberFactory(household=household, relation="head")
        _pending_type_change(household, village_cadre)
    client = api_for(village_cadre)
    # Token and its user (1), the page with its households or users joined (1), the last-use stamp (1).
    with django_assert_max_num_queries(3):
        members = client.get("/members", limit=200).json()
    with django_assert_max_num_queries(3):
        changes = client.get("/change-requests", limit=200).json()
    assert (len(members["items"]), len(changes["items"])) == (20, 20)


def test_revealing_an_id_number_needs_the_grant(zhang: Household, village_cadre: User) -> None:
    head = _member(zhang, "张建国")
    client = api_for(village_cadre)

    refused = client.send("post", f"/members/{head.pk}/reveal")
    assert (refused.status_code, refused.json()) == (
        403,
        forbidden("您没有查看完整个人信息的权限，请联系安全管理员授权。"),
    )
    assert not AuditEvent.objects.filter(action="reveal").exists()

    User.objects.filter(pk=village_cadre.pk).update(may_reveal_personal_data=True)
    revealed = client.send("post", f"/members/{head.pk}/reveal")

    assert (revealed.status_code, revealed.json()) == (200, {"id_number": HEAD_ID})
    event = AuditEvent.objects.get(action="reveal")
    assert (event.actor_id, event.object_type, event.object_id, event.data["field"]) == (
        village_cadre.pk,
        "registry.member",
        str(head.pk),
        "id_number",
    )
    assert HEAD_ID not in json.dumps(event.data, ensure_ascii=False)


def test_revealing_a_phone_is_audited(zhang: Household, town_officer: User) -> None:
    User.objects.filter(pk=town_officer.pk).update(may_reveal_personal_data=True)

    response = api_for(town_officer).send("post", f"/households/{zhang.pk}/reveal-phone")

    assert (response.status_code, response.json()) == (200, {"phone": PHONE})
    event = AuditEvent.objects.get(action="reveal")
    assert (event.object_id, event.data["field"]) == (str(zhang.pk), "phone")


def test_revealing_a_member_of_another_county_is_404_even_with_the_grant(
    zhang: Household, other_county_clerk: User
) -> None:
    User.objects.filter(pk=other_county_clerk.pk).update(may_reveal_personal_data=True)
    head = _member(zhang, "张建国")

    response = api_for(other_county_clerk).send("post", f"/members/{head.pk}/reveal")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not AuditEvent.objects.filter(action="reveal").exists()
    assert AuditEvent.objects.filter(operation="out_of_scope").count() == 1


# --- creating a household -----------------------------------------------------------------------------------


def test_a_town_creates_a_household_directly(town_officer: User, regions: Any) -> None:
    response = api_for(town_officer).send(
        "post",
        "/households",
        {
            "region_code": VILLAGE,
            "household_number": "610902001001000077",
            "address": "东关村四组2号",
            "phone": "139 1234 0000",
            "members": [
                _head_payload(),
                {"name": "赵小红", "relation": "daughter", "sex": "female", "birth_date": "2010-04-05"},
            ],
        },
    )

    assert response.status_code == 201, response.json()
    household = Household.objects.get(household_number="610902001001000077")
    body = response.json()
    assert (body["id"], body["size"], body["phone"]) == (household.pk, 2, "139****0000")
    assert [(m["name"], m["relation"], m["sex"], m["birth_date"]) for m in body["members"]] == [
        ("赵新民", "head", "male", "1985-10-01"),
        ("赵小红", "daughter", "female", "2010-04-05"),
    ]
    assert household.phone == "13912340000"
    assert not ChangeRequest.objects.exists()
    created = AuditEvent.objects.filter(action="create", object_type="registry.household")
    assert [(e.actor_id, e.object_id) for e in created] == [(town_officer.pk, str(household.pk))]


def test_a_village_cadre_creating_a_household_submits_a_change_request(
    village_cadre: User, town_officer: User, regions: Any
) -> None:
    client = api_for(village_cadre)

    response = client.send(
        "post", "/households", {"address": "东关村四组2号", "members": [_head_payload()], "reason": "分户"}
    )

    assert response.status_code == 202, response.json()
    change = ChangeRequest.objects.get()
    body = response.json()
    assert body == {
        "id": change.pk,
        "kind": "create_household",
        "kind_label": "新增农户",
        "status": "pending",
        "status_label": "待审核",
        "region_code": VILLAGE,
        "household_id": None,
        "member_id": None,
        "reason": "分户",
        "submitted_by_id": village_cadre.pk,
        "submitted_by_name": "village_cadre",
        "submitted_at": body["submitted_at"],
        "reviewed_by_id": None,
        "reviewed_by_name": "",
        "reviewed_at": None,
        "review_note": "",
    }
    # ISO time in UTC, to the millisecond (Django's JSON encoder).
    submitted = change.submitted_at
    assert dt.datetime.fromisoformat(body["submitted_at"]) == submitted.replace(
        microsecond=submitted.microsecond // 1000 * 1000
    )
    assert not Household.objects.exists()
    assert services.change_payload(change) == {
        "household": {"address": "东关村四组2号", "region_code": VILLAGE},
        "members": [{"name": "赵新民", "id_number": NEW_HEAD_ID, "relation": "head"}],
    }
    # The town sees the request with the ID number masked, and approves it: now the household exists.
    detail = api_for(town_officer).get(f"/change-requests/{change.pk}").json()
    assert detail["changes"]["members"] == [
        {"name": "赵新民", "id_number": mask_id_number(NEW_HEAD_ID), "relation": "head"}
    ]
    assert (detail["can_review"], detail["can_withdraw"]) == (True, False)
    approved = api_for(town_officer).send(
        "post", f"/change-requests/{change.pk}/approve", {"note": "核实无误"}
    )
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["reviewed_by_id"]) == ("approved", town_officer.pk)
    household = Household.objects.get()
    assert (household.region_code, household.address) == (VILLAGE, "东关村四组2号")
    assert approved.json()["household_id"] == household.pk


def test_an_invalid_household_is_refused_with_every_problem(town_officer: User, regions: Any) -> None:
    response = api_for(town_officer).send(
        "post",
        "/households",
        {
            "region_code": VILLAGE,
            "household_type": "exited_poor",
            "is_exited_poor": False,
            "members": [
                _head_payload(),
                {"name": "赵二", "relation": "head", "sex": "male", "birth_date": "1990-01-01"},
            ],
        },
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "户类型为“脱贫户”时，“是否脱贫户”须为“是”；该户有多名户主：赵新民、赵二",
        "errors": [
            {
                "field": "is_exited_poor",
                "message": "户类型为“脱贫户”时，“是否脱贫户”须为“是”",
                "level": "error",
            },
            {"field": "relation", "message": "该户有多名户主：赵新民、赵二", "level": "error"},
        ],
    }
    assert not Household.objects.exists()


def test_a_household_in_a_village_outside_the_scope_is_404(other_county_clerk: User, regions: Any) -> None:
    response = api_for(other_county_clerk).send(
        "post", "/households", {"region_code": VILLAGE, "members": [_head_payload()]}
    )
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not Household.objects.exists()
    assert AuditEvent.objects.filter(operation="out_of_scope").count() == 1


def test_an_unknown_choice_is_a_validation_error(town_officer: User, regions: Any) -> None:
    response = api_for(town_officer).send(
        "post",
        "/households",
        {"region_code": VILLAGE, "household_type": "rich", "members": [_head_payload()]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert not Household.objects.exists()


# --- changing a household -----------------------------------------------------------------------------------


def test_a_village_cadre_changes_contact_details_directly(zhang: Household, village_cadre: User) -> None:
    response = api_for(village_cadre).send(
        "patch", f"/households/{zhang.pk}", {"address": "东关村二组8号", "phone": "13800001111"}
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["address"], response.json()["phone"]) == ("东关村二组8号", "138****1111")
    zhang.refresh_from_db()
    assert (zhang.address, zhang.phone) == ("东关村二组8号", "13800001111")
    assert not ChangeRequest.objects.exists()


def test_a_village_cadre_changing_the_household_type_submits_a_change_request(
    zhang: Household, village_cadre: User
) -> None:
    before = _registry_rows()

    response = api_for(village_cadre).send(
        "patch",
        f"/households/{zhang.pk}",
        {"household_type": "dibao", "is_exited_poor": True, "reason": "纳入低保"},
    )

    assert response.status_code == 202, response.json()
    change = ChangeRequest.objects.get()
    assert (change.kind, change.status, change.household_id) == (
        ChangeKind.UPDATE_HOUSEHOLD,
        ChangeStatus.PENDING,
        zhang.pk,
    )
    assert services.change_payload(change) == {"household_type": "dibao", "is_exited_poor": True}
    assert _registry_rows() == before


def test_a_change_request_without_a_reason_is_refused(zhang: Household, village_cadre: User) -> None:
    response = api_for(village_cadre).send("patch", f"/households/{zhang.pk}", {"household_type": "dibao"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "reason", "message": "请填写变更理由", "level": "error"}]
    assert not ChangeRequest.objects.exists()


def test_a_reader_without_write_rights_changes_nothing(zhang: Household, inspector: User) -> None:
    before = _registry_rows()
    client = api_for(inspector)
    head = _member(zhang, "张建国")

    for method, path, body in (
        ("patch", f"/households/{zhang.pk}", {"address": "别处"}),
        ("post", f"/households/{zhang.pk}/indicators", {"indicator": "housing_grade", "value": "D"}),
        ("post", f"/households/{zhang.pk}/members", _head_payload(relation="son")),
        ("patch", f"/members/{head.pk}", {"health": "disabled", "disability_grade": "1"}),
        ("post", f"/members/{head.pk}/leave", {"left_on": "2026-01-01", "left_reason": "died"}),
    ):
        response = client.send(method, path, body)
        assert (response.status_code, response.json()) == (403, NO_WRITE), path
    assert _registry_rows() == before
    assert not ChangeRequest.objects.exists()


# --- members ------------------------------------------------------------------------------------------------


def test_a_town_adds_a_member_and_a_village_cadre_requests_one(
    zhang: Household, town_officer: User, village_cadre: User
) -> None:
    grandchild = {"name": "张小宝", "relation": "grandson", "sex": "male", "birth_date": "2025-12-01"}

    added = api_for(town_officer).send("post", f"/households/{zhang.pk}/members", grandchild)
    requested = api_for(village_cadre).send(
        "post", f"/households/{zhang.pk}/members", {**grandchild, "name": "张小贝", "reason": "出生"}
    )

    assert added.status_code == 201, added.json()
    member = Member.objects.get(name="张小宝")
    assert (added.json()["id"], added.json()["joined_on"]) == (member.pk, timezone.localdate().isoformat())
    assert requested.status_code == 202, requested.json()
    assert not Member.objects.filter(name="张小贝").exists()
    assert ChangeRequest.objects.get().kind == ChangeKind.ADD_MEMBER


def test_a_member_change_of_identity_needs_review_for_a_village_cadre(
    zhang: Household, village_cadre: User
) -> None:
    wife = _member(zhang, "李秀英")
    client = api_for(village_cadre)

    detail = client.send(
        "patch", f"/members/{wife.pk}", {"health": "serious_illness", "school_status": "not_in_school"}
    )
    identity = client.send("patch", f"/members/{wife.pk}", {"name": "李秀云", "reason": "户口本为李秀云"})

    assert detail.status_code == 200, detail.json()
    assert (detail.json()["health"], detail.json()["health_label"]) == ("serious_illness", "患有大病")
    assert identity.status_code == 202, identity.json()
    wife.refresh_from_db()
    assert (wife.name, wife.health) == ("李秀英", "serious_illness")
    change = ChangeRequest.objects.get()
    assert (change.kind, change.member_id, services.change_payload(change)) == (
        ChangeKind.UPDATE_MEMBER,
        wife.pk,
        {"name": "李秀云"},
    )


def test_a_town_makes_a_member_leave_and_names_the_new_head(zhang: Household, town_officer: User) -> None:
    head, wife = _member(zhang, "张建国"), _member(zhang, "李秀英")

    response = api_for(town_officer).send(
        "post",
        f"/members/{head.pk}/leave",
        {"left_on": "2026-02-01", "left_reason": "died", "new_head": wife.pk},
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["left_on"], response.json()["left_reason_label"]) == ("2026-02-01", "死亡")
    wife.refresh_from_db()
    assert wife.relation == "head"


def test_the_head_cannot_leave_without_a_new_head(zhang: Household, town_officer: User) -> None:
    head = _member(zhang, "张建国")
    before = _registry_rows()

    response = api_for(town_officer).send(
        "post", f"/members/{head.pk}/leave", {"left_on": "2026-02-01", "left_reason": "died"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "new_head", "message": "户主离户时须指定本户的新户主", "level": "error"}
    ]
    assert _registry_rows() == before


def test_a_new_head_from_another_household_is_refused(zhang: Household, town_officer: User) -> None:
    head = _member(zhang, "张建国")
    stranger = MemberFactory(household=HouseholdFactory(), relation="head")

    response = api_for(town_officer).send(
        "post",
        f"/members/{head.pk}/leave",
        {"left_on": "2026-02-01", "left_reason": "died", "new_head": stranger.pk},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "new_head"
    head.refresh_from_db()
    assert head.left_on is None


def test_a_village_cadre_requests_a_member_leaving(zhang: Household, village_cadre: User) -> None:
    wife = _member(zhang, "李秀英")

    response = api_for(village_cadre).send(
        "post",
        f"/members/{wife.pk}/leave",
        {"left_on": "2026-02-01", "left_reason": "died", "reason": "病故"},
    )

    assert response.status_code == 202, response.json()
    wife.refresh_from_db()
    assert wife.left_on is None
    change = ChangeRequest.objects.get()
    assert services.change_payload(change) == {"left_on": "2026-02-01", "reason": "died"}


# --- income and indicators ----------------------------------------------------------------------------------


def test_a_town_writes_an_income_statement(zhang: Household, town_officer: User) -> None:
    response = api_for(town_officer).send(
        "put",
        f"/households/{zhang.pk}/income",
        {
            "period_kind": "calendar_year",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "household_size": 3,
            "lines": [
                {"component": "wages", "item": "务工收入", "amount": "10000.10"},
                {"component": "business_expenditure", "item": "化肥", "amount": 500},
                {"component": "excluded", "item": "慰问金", "amount": "300", "note": "一次性"},
            ],
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["net_income"], body["net_income_per_capita"], body["household_size"]) == (
        "9500.10",
        "3166.70",
        3,
    )
    assert [(line["item"], line["amount"], line["counted"]) for line in body["lines"]] == [
        ("务工收入", "10000.10", True),
        ("化肥", "500.00", True),
        ("慰问金", "300.00", False),
    ]
    statement = IncomeStatement.objects.get()
    assert (statement.wages, statement.business_expenditure) == (Decimal("10000.10"), Decimal("500.00"))


def test_an_income_statement_without_dates_covers_the_last_calendar_year(
    zhang: Household, town_officer: User
) -> None:
    response = api_for(town_officer).send(
        "put",
        f"/households/{zhang.pk}/income",
        {"period_kind": "calendar_year", "lines": [{"component": "wages", "amount": "100"}]},
    )
    year = timezone.localdate().year - 1
    assert response.status_code == 200, response.json()
    assert (response.json()["period_start"], response.json()["period_end"]) == (
        f"{year}-01-01",
        f"{year}-12-31",
    )


def test_a_village_cadre_submits_income_for_review_and_the_town_rejects_it(
    zhang: Household, village_cadre: User, town_officer: User
) -> None:
    income = {
        "period_kind": "calendar_year",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "lines": [{"component": "wages", "item": "务工收入", "amount": "8000"}],
        "reason": "年度收入核算",
    }
    submitted = api_for(village_cadre).send("put", f"/households/{zhang.pk}/income", income)
    assert submitted.status_code == 202, submitted.json()
    assert not IncomeStatement.objects.exists()
    change = ChangeRequest.objects.get()
    town = api_for(town_officer)

    without_reason = town.send("post", f"/change-requests/{change.pk}/reject", {})
    rejected = town.send("post", f"/change-requests/{change.pk}/reject", {"reason": "务工收入与台账不符"})

    assert without_reason.status_code == 422
    assert without_reason.json()["errors"] == [
        {"field": "review_note", "message": "退回申请须填写理由", "level": "error"}
    ]
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["review_note"]) == ("rejected", "务工收入与台账不符")
    assert not IncomeStatement.objects.exists()


def test_a_village_cadre_records_an_indicator_directly(zhang: Household, village_cadre: User) -> None:
    response = api_for(village_cadre).send(
        "post",
        f"/households/{zhang.pk}/indicators",
        {"indicator": "housing_grade", "value": "C", "observed_on": "2026-03-01", "note": "墙体开裂"},
    )

    assert response.status_code == 201, response.json()
    observation = IndicatorObservation.objects.get()
    assert response.json() == {
        "id": observation.pk,
        "indicator": "housing_grade",
        "indicator_label": "住房安全鉴定等级",
        "value": "C",
        "value_label": "C级（局部危房）",
        "is_problem": True,
        "observed_on": "2026-03-01",
        "note": "墙体开裂",
    }
    assert observation.recorded_by_id == village_cadre.pk


def test_an_indicator_value_that_does_not_fit_is_refused(zhang: Household, village_cadre: User) -> None:
    response = api_for(village_cadre).send(
        "post", f"/households/{zhang.pk}/indicators", {"indicator": "water_quality", "value": "A"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "value", "message": "指标取值无效：A", "level": "error"}]
    assert not IndicatorObservation.objects.exists()


# --- change requests ----------------------------------------------------------------------------------------


def _pending_type_change(household: Household, by: User) -> ChangeRequest:
    return services.submit_change(
        by=by,
        kind=ChangeKind.UPDATE_HOUSEHOLD,
        payload={"household_type": "dibao"},
        reason="纳入低保",
        household=household,
    )


def test_change_requests_are_listed_by_status_within_scope(
    zhang: Household, village_cadre: User, other_village_cadre: User, town_officer: User
) -> None:
    pending = _pending_type_change(zhang, village_cadre)
    withdrawn = services.submit_change(
        by=village_cadre,
        kind=ChangeKind.UPDATE_HOUSEHOLD,
        payload={"household_number": "1"},
        reason="更正",
        household=zhang,
    )
    services.withdraw_change(change=withdrawn, by=village_cadre)

    inbox = api_for(town_officer).get("/change-requests", status="pending").json()
    everything = api_for(town_officer).get("/change-requests").json()
    elsewhere = api_for(other_village_cadre).get("/change-requests").json()

    assert [item["id"] for item in inbox["items"]] == [pending.pk]
    assert [(item["id"], item["status"]) for item in everything["items"]] == [
        (pending.pk, "pending"),
        (withdrawn.pk, "withdrawn"),
    ]
    assert elsewhere == {"items": [], "next_after": None}


def test_approving_a_change_applies_it(zhang: Household, village_cadre: User, town_officer: User) -> None:
    change = _pending_type_change(zhang, village_cadre)

    response = api_for(town_officer).send("post", f"/change-requests/{change.pk}/approve")

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["can_review"]) == ("approved", False)
    zhang.refresh_from_db()
    assert zhang.household_type == "dibao"


def test_approving_a_change_overtaken_by_an_edit_is_refused_naming_the_field(
    zhang: Household, village_cadre: User, town_officer: User
) -> None:
    change = _pending_type_change(zhang, village_cadre)
    services.update_household(
        household=zhang,
        by=town_officer,
        values={"household_type": "extreme_poverty"},
        on=timezone.localdate(),
    )

    response = api_for(town_officer).send("post", f"/change-requests/{change.pk}/approve")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "",
            "message": "提交申请后，以下信息已被修改：户类型。请退回该申请，由村里按最新信息重新提交。",
            "level": "error",
        }
    ]
    change.refresh_from_db()
    zhang.refresh_from_db()
    assert (change.status, zhang.household_type) == (ChangeStatus.PENDING, "extreme_poverty")


def test_a_village_cadre_cannot_review_and_only_the_submitter_withdraws(
    zhang: Household, village_cadre: User, regions: Any
) -> None:
    change = _pending_type_change(zhang, village_cadre)
    colleague = UserFactory(username="colleague", role="village_team", region=regions[VILLAGE])

    review = api_for(village_cadre).send("post", f"/change-requests/{change.pk}/approve")
    by_colleague = api_for(colleague).send("post", f"/change-requests/{change.pk}/withdraw")
    by_submitter = api_for(village_cadre).send("post", f"/change-requests/{change.pk}/withdraw")

    assert (review.status_code, review.json()) == (403, forbidden("只有乡镇及以上用户可以审核变更申请。"))
    assert (by_colleague.status_code, by_colleague.json()) == (
        403,
        {"code": "forbidden", "message": "只有提交人可以撤回申请。"},
    )
    assert (by_submitter.status_code, by_submitter.json()["status"]) == (200, "withdrawn")
    again = api_for(village_cadre).send("post", f"/change-requests/{change.pk}/withdraw")
    assert again.status_code == 422
    assert again.json()["errors"][0]["message"] == "该申请当前状态为“已撤回”，不能再处理"


# --- the published description ------------------------------------------------------------------------------


def test_every_registry_route_declares_its_statuses() -> None:
    paths = api.get_openapi_schema()["paths"]
    reads = {
        ("/api/v1/households", "get"),
        ("/api/v1/households/{household_id}", "get"),
        ("/api/v1/members", "get"),
        ("/api/v1/members/{member_id}", "get"),
        ("/api/v1/change-requests", "get"),
        ("/api/v1/change-requests/{change_id}", "get"),
        ("/api/v1/members/{member_id}/reveal", "post"),
        ("/api/v1/households/{household_id}/reveal-phone", "post"),
    }
    for path, method in reads:
        assert set(paths[path][method]["responses"]) == {200, 401, 403, 404}, path
    writes = {
        ("/api/v1/households", "post"): {201, 202},
        ("/api/v1/households/{household_id}", "patch"): {200, 202},
        ("/api/v1/households/{household_id}/income", "put"): {200, 202},
        ("/api/v1/households/{household_id}/indicators", "post"): {201},
        ("/api/v1/households/{household_id}/members", "post"): {201, 202},
        ("/api/v1/members/{member_id}", "patch"): {200, 202},
        ("/api/v1/members/{member_id}/leave", "post"): {200, 202},
        ("/api/v1/change-requests/{change_id}/approve", "post"): {200},
        ("/api/v1/change-requests/{change_id}/reject", "post"): {200},
        ("/api/v1/change-requests/{change_id}/withdraw", "post"): {200},
    }
    for (path, method), success in writes.items():
        assert set(paths[path][method]["responses"]) == success | {401, 403, 404, 422}, path


def test_money_is_described_as_text_with_two_decimals() -> None:
    schema = api.get_openapi_schema()["components"]["schemas"]["StatementOut"]["properties"]["net_income"]
    assert (schema["type"], schema["pattern"]) == ("string", r"^-?\d+\.\d{2}$")
