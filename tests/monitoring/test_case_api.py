"""The cases API walks a case through every step with the page's fields and refusals; leads come masked."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.monitoring.models import CaseState, Lead
from bangfu.registry.models import Member
from tests.factories import HouseholdFactory, MemberFactory, ensure_procedure_policy, monitored_case

pytestmark = pytest.mark.django_db

VILLAGE = "610902001001"


@pytest.fixture(autouse=True)
def procedure_policy(regions: object) -> None:
    ensure_procedure_policy()


@pytest.fixture
def head() -> Member:
    return MemberFactory(name="孙有田", household=HouseholdFactory(is_exited_poor=True))


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def step(user: User, case_id: int, action: str, **fields: Any) -> Any:
    return client(user).post(
        f"/api/v1/cases/{case_id}/steps",
        {"action": action, "fields": fields},
        content_type="application/json",
    )


def test_a_case_goes_through_every_step_by_the_api(
    head: Member, village_cadre: User, town_officer: User, county_clerk: User
) -> None:
    opened = client(village_cadre).post(
        "/api/v1/cases/report",
        {"household_id": head.household_id, "on": "2026-09-29", "difficulty": "住院", "risk_types": ["因病"]},
        content_type="application/json",
    )
    assert opened.status_code == 200, opened.json()
    case = opened.json()
    assert (case["state"], case["channel"], case["step_due_on"]) == (
        "application",
        "cadre_report",
        "2026-10-12",
    )
    pk = case["id"]
    missing = step(village_cadre, pk, "sign_application", on="2026-09-29")
    assert missing.status_code == 422
    assert missing.json()["message"] == "pledge_photo: 请上传签字（按手印）的申请及承诺书照片，或填写代填人"
    wrong = step(village_cadre, pk, "town_approve", on="2026-09-29")
    assert wrong.status_code == 422
    assert "应办理 sign_application" in wrong.json()["message"]
    assert (
        step(
            town_officer, pk, "sign_application", on="2026-09-29", proxy_name="李", proxy_relation="网格员"
        ).status_code
        == 200
    )
    bad_check = step(village_cadre, pk, "record_home_check", on="2026-09-30", members="0", net_income="x")
    assert bad_check.status_code == 422
    assert "members:" in bad_check.json()["message"]
    assert "net_income:" in bad_check.json()["message"]
    checks = {f"need_{n}": True for n in ("food_clothing", "education", "medical", "housing", "water")}
    done = step(
        village_cadre,
        pk,
        "record_home_check",
        on="2026-09-30",
        members=2,
        net_income="6000",
        out_of_pocket="0",
        risk_1="因病",
        **checks,
    )
    assert done.status_code == 200
    assert done.json()["state"] == "data_comparison"
    assert step(village_cadre, pk, "compare_data", on="2026-09-30").json()["state"] == "village_appraisal"
    notice = step(
        village_cadre, pk, "record_appraisal", on="2026-09-30", attendees="甲\n乙\n丙", minutes="同意"
    )
    assert notice.json()["state"] == "village_notice"
    early = step(village_cadre, pk, "close_notice", on="2026-10-04")
    assert early.status_code == 422
    assert "公示期未满" in early.json()["message"]
    assert step(village_cadre, pk, "close_notice", on="2026-10-05").json()["state"] == "town_review"
    assert step(village_cadre, pk, "town_approve", on="2026-10-05").status_code == 403
    assert (
        step(town_officer, pk, "town_approve", on="2026-10-08", opinion="同意").json()["state"]
        == "county_approval"
    )
    edge = step(county_clerk, pk, "county_approve", on="2026-10-08", category="edge", risk_1="因病")
    assert edge.status_code == 422
    assert "category:" in edge.json()["message"]
    approved = step(
        county_clerk,
        pk,
        "county_approve",
        on="2026-10-08",
        category="unstable_exited",
        risk_1="因病",
        risk_2="因学",
    )
    assert approved.json()["risk_types"] == ["因病", "因学"]
    final = step(town_officer, pk, "announce", on="2026-10-09").json()
    assert (final["state"], final["monitored_from"], final["step_due_on"], final["late"]) == (
        CaseState.MONITORED,
        "2026-10-09",
        None,
        False,
    )
    assert [e["action"] for e in final["events"]][-1] == "announce"
    assert step(town_officer, pk, "announce", on="2026-10-09").json()["message"] == "该户的识别已办结"


def test_leads_are_masked_and_decided_by_the_town(
    head: Member, town_officer: User, county_clerk: User
) -> None:
    entered = client(county_clerk).post(
        "/api/v1/leads",
        {
            "region_code": VILLAGE,
            "name": "孙有田",
            "phone": "13900003333",
            "id_number": head.id_number,
            "difficulty": "来电",
        },
        content_type="application/json",
    )
    assert entered.status_code == 200, entered.json()
    lead = entered.json()
    assert lead["id_number"] == f"{head.id_number[:6]}********{head.id_number[-4:]}"
    assert lead["phone"] == "139****3333"
    assert (lead["channel"], lead["household_id"]) == ("hotline", head.household_id)
    listed = client(town_officer).get("/api/v1/leads?status=pending").json()
    assert [item["id"] for item in listed["items"]] == [lead["id"]]
    assert head.id_number not in str(listed)
    declined = client(town_officer).post(
        f"/api/v1/leads/{lead['id']}/decline", {"reason": ""}, content_type="application/json"
    )
    assert declined.status_code == 422
    accepted = client(town_officer).post(
        f"/api/v1/leads/{lead['id']}/accept", {"on": "2026-11-01"}, content_type="application/json"
    )
    assert accepted.status_code == 422  # received today: cannot be accepted on an earlier day
    today = timezone.localdate().isoformat()
    accepted = client(town_officer).post(
        f"/api/v1/leads/{lead['id']}/accept", {"on": today}, content_type="application/json"
    )
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "application"
    assert Lead.objects.get().status == "accepted"


def test_elimination_is_proposed_and_rolled_back_by_the_api(
    village_cadre: User, town_officer: User, county_clerk: User
) -> None:
    household = MemberFactory(household=HouseholdFactory()).household
    case = monitored_case(household, village=village_cadre, town=town_officer, county=county_clerk)
    refused = step(village_cadre, case.pk, "propose_elimination", on="2026-11-01", method="by_assistance")
    assert refused.status_code == 422
    assert refused.json()["message"] == "net_income_per_capita: 请填写人均纯收入"
    proposed = step(
        village_cadre, case.pk, "propose_elimination", on="2026-11-01", method="natural", reason="整户迁出"
    )
    assert proposed.json()["state"] == "elimination_appraisal"
    assert proposed.json()["elimination_method"] == "natural"
    assert (
        step(county_clerk, case.pk, "roll_back_elimination", on="2026-11-02", reason="x").status_code == 422
    )


def test_visits_are_logged_once_and_listed_by_the_api(
    village_cadre: User, town_officer: User, county_clerk: User, other_village_cadre: User
) -> None:
    household = MemberFactory(household=HouseholdFactory()).household
    case = monitored_case(household, village=village_cadre, town=town_officer, county=county_clerk)
    body = {
        "case_id": case.pk,
        "on": "2026-11-04",
        "client_id": "3b0a4c1e-9b3d-4a5e-8f1a-2c3d4e5f6a7b",
        "needs_met": {
            "food_clothing": True,
            "education": True,
            "medical": True,
            "housing": True,
            "water": True,
        },
        "note": "家中正常",
    }
    first = client(village_cadre).post("/api/v1/visits", body, content_type="application/json")
    again = client(village_cadre).post("/api/v1/visits", body, content_type="application/json")
    assert first.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (
        client(county_clerk).post("/api/v1/visits", body, content_type="application/json").status_code == 403
    )
    listed = client(county_clerk).get(f"/api/v1/visits?case={case.pk}").json()
    assert [item["note"] for item in listed["items"]] == ["家中正常"]
    assert client(other_village_cadre).get("/api/v1/visits").json()["items"] == []
