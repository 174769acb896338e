"""Policy screens and API: who reaches what, exact values shown, writes through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.policy.models import OfficialCalendarYear, PolicyValue
from tests.permissions import BUSINESS_OVER_VILLAGE, PERSONAS, PermissionMatrix, Route, client_for
from tests.policy.conftest import calendar_rows, policy_rows

# The demo's values for 陕西省 (the tests' region tree lies in it) give every key a value to show.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_policy")]

D = dt.date
BUSINESS = frozenset(p for p in PERSONAS if p not in {"auditor", "security_admin", "system_admin"})
CITY_HQ = frozenset({"city_hq"})
SYSTEM_ADMIN = frozenset({"system_admin"})
# Personas whose scope neither contains nor encloses the village 610902001001.
OUTSIDE_VILLAGE = frozenset({"other_county_clerk", "other_village_cadre"})

# A person may not back-date a version: the form's date lies ahead of whatever day the tests run on.
EFFECTIVE = timezone.localdate() + dt.timedelta(days=30)
NEW_LINE = {
    "region_prefix": "610902",
    "effective_from": EFFECTIVE.isoformat(),
    "amount": "8300",
    "source_note": "汉滨区2026年监测范围通知（测试）",
}
NEW_YEAR = {
    "year": "2027",
    "holidays": "2027-01-01~2027-01-03\n2027-02-06 至 2027-02-12",
    "workdays": "2027-02-14",
    "source_note": "测试用2027年安排",
}


def policy_count() -> int:
    return PolicyValue.objects.count()


def calendar_count() -> int:
    return OfficialCalendarYear.objects.count()


class TestPolicyPermissions(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/policy/", allowed=BUSINESS),
        Route("/policy/?region=610902001001&on=2026-06-01", allowed=BUSINESS),
        Route("/policy/monitoring_line/", allowed=BUSINESS),
        Route("/policy/monitoring_line/new/", allowed=CITY_HQ),
        Route(
            "/policy/monitoring_line/new/",
            allowed=CITY_HQ,
            method="post",
            data=NEW_LINE,
            ok_status=302,
            state=policy_count,
        ),
        Route("/policy/calendar/", allowed=BUSINESS | SYSTEM_ADMIN),
        Route("/policy/calendar/2026/", allowed=BUSINESS | SYSTEM_ADMIN),
        Route("/policy/calendar/new/", allowed=SYSTEM_ADMIN),
        Route(
            "/policy/calendar/new/",
            allowed=SYSTEM_ADMIN,
            method="post",
            data=NEW_YEAR,
            ok_status=302,
            state=calendar_count,
        ),
        Route(
            "/api/v1/policy/monitoring_line?region=610902001001&on=2026-06-01",
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            api=True,
        ),
        Route(
            "/api/v1/calendar/due-date?key=deadline.home_check&start=2026-12-28&region=610902001001",
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            api=True,
        ),
    ]


# --- the list and history ----------------------------------------------------------------------------------


def test_the_list_shows_the_value_in_force_for_the_chosen_region_and_date(city_hq: User) -> None:
    PolicyValue.objects.create(
        key="monitoring_line",
        region_prefix="610902",
        effective_from=D(2026, 3, 1),
        value=8500,
        source_note="测试",
    )
    client = client_for(city_hq)
    entries = {
        e["spec"].key: e for e in client.get("/policy/?region=610902001001&on=2026-06-01").context["entries"]
    }
    line = entries["monitoring_line"]
    assert (line["display"], line["row"].region_prefix, line["region_name"]) == (
        "8,500 元",
        "610902",
        "汉滨区",
    )
    assert entries["deadline.identification"]["display"] == "15 个工作日"

    earlier = client.get("/policy/?region=610902001001&on=2026-02-28")
    line = next(e for e in earlier.context["entries"] if e["spec"].key == "monitoring_line")
    assert (line["display"], line["region_name"]) == ("7,800 元", "陕西省")
    assert "7,800 元" in earlier.content.decode()


def test_the_list_defaults_to_the_users_region_and_today(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/policy/")
    assert response.context["prefix"] == "610902001001"
    assert response.context["region_name"] == "东关村"


def test_a_region_outside_the_scope_is_refused_on_the_list(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/policy/?region=610981100001")
    assert response.status_code == 200
    assert response.context["prefix"] == "610902001001"  # still the user's own region
    assert "区划“610981100001”不在您的管辖范围内。" in response.content.decode()


def test_a_malformed_region_gets_a_chinese_message(city_hq: User) -> None:
    response = client_for(city_hq).get("/policy/?region=6100&on=2026-13-01")
    page = response.content.decode()
    assert "区划“6100”无效" in page
    assert "日期格式应为 2026-01-01。" in page


def test_htmx_gets_only_the_table(city_hq: User) -> None:
    response = client_for(city_hq).get("/policy/?region=6109", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="policy-table">')
    assert "<html" not in page


def test_history_shows_versions_of_the_users_area_only(county_clerk: User) -> None:
    PolicyValue.objects.create(
        key="monitoring_line",
        region_prefix="610902",
        effective_from=D(2026, 1, 1),
        value=8500,
        source_note="汉滨",
    )
    PolicyValue.objects.create(
        key="monitoring_line",
        region_prefix="610981",
        effective_from=D(2026, 1, 1),
        value=8600,
        source_note="旬阳",
    )
    response = client_for(county_clerk).get("/policy/monitoring_line/")
    shown = [(v["row"].region_prefix, v["display"]) for v in response.context["versions"]]
    assert shown == [("", "6,000 元"), ("61", "7,800 元"), ("610902", "8,500 元")]
    current = PolicyValue.objects.get(region_prefix="610902", key="monitoring_line")
    assert response.context["current_id"] == current.pk
    assert response.context["can_edit"] is False


def test_unknown_key_page_is_404(city_hq: User) -> None:
    assert client_for(city_hq).get("/policy/no_such_key/").status_code == 404
    assert client_for(city_hq).get("/policy/no_such_key/new/").status_code == 404


# --- adding a version --------------------------------------------------------------------------------------


def test_the_form_starts_from_the_value_in_force(city_hq: User) -> None:
    form = client_for(city_hq).get("/policy/deadline.identification/new/").context["form"]
    assert (form.initial["region_prefix"], form.initial["days"], form.initial["unit"]) == (
        "6109",
        15,
        "working",
    )


def test_city_hq_adds_a_version_through_the_form(city_hq: User) -> None:
    response = client_for(city_hq).post("/policy/monitoring_line/new/", NEW_LINE)
    assert response.status_code == 302
    assert response["Location"] == "/policy/monitoring_line/"
    row = PolicyValue.objects.get(key="monitoring_line", region_prefix="610902")
    assert (row.effective_from, row.value, row.created_by) == (EFFECTIVE, 8300, city_hq)
    assert AuditEvent.objects.filter(object_type="policy.policyvalue", object_id=str(row.pk)).count() == 1


def test_a_bad_value_on_the_form_is_shown_beside_its_input(city_hq: User) -> None:
    before = policy_rows()
    response = client_for(city_hq).post(
        "/policy/deadline.home_check/new/",
        {"region_prefix": "6109", "effective_from": "", "days": "0", "unit": "working", "source_note": ""},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"effective_from": ["请填写生效日期。"]}  # the form's own check comes first
    response = client_for(city_hq).post(
        "/policy/deadline.home_check/new/",
        {
            "region_prefix": "6109",
            "effective_from": EFFECTIVE.isoformat(),
            "days": "0",
            "unit": "working",
            "source_note": "",
        },
    )
    assert response.context["form"].errors == {
        "days": ["“入户核查时限”：天数必须是 1 到 3650 之间的整数，收到“0”。"],
        "source_note": ["请填写依据：文件名称、文号、条款或网址。"],
    }
    assert policy_rows() == before


# --- calendar screens --------------------------------------------------------------------------------------


def test_the_calendar_list_flags_unknown_years(city_hq: User) -> None:
    response = client_for(city_hq).get("/policy/calendar/")
    statuses = {s["year"]: s for s in response.context["statuses"]}
    assert statuses[2026]["packaged"] is True
    assert statuses[2026]["provisional"] is False
    assert statuses[2027]["provisional"] is True
    assert "暂定" in response.content.decode()


def test_the_system_admin_enters_a_year_with_ranges(system_admin: User) -> None:
    response = client_for(system_admin).post("/policy/calendar/new/", NEW_YEAR)
    assert response.status_code == 302
    assert response["Location"] == "/policy/calendar/2027/"
    assert calendar_rows() == [
        (
            2027,
            1,
            [
                "2027-01-01",
                "2027-01-02",
                "2027-01-03",
                "2027-02-06",
                "2027-02-07",
                "2027-02-08",
                "2027-02-09",
                "2027-02-10",
                "2027-02-11",
                "2027-02-12",
            ],
            ["2027-02-14"],
        )
    ]
    page = client_for(system_admin).get("/policy/calendar/2027/")
    assert page.context["provisional"] is False
    assert page.context["source"] == "已录入第 1 版"


def test_a_mistyped_date_is_named(system_admin: User) -> None:
    response = client_for(system_admin).post(
        "/policy/calendar/new/", {**NEW_YEAR, "holidays": "2027-01-01\n2027-02-30"}
    )
    assert response.context["form"].errors == {
        "holidays": [
            "“放假日期”中的“2027-02-30”不是有效日期或日期范围（格式：2027-01-01 或 2027-10-01~2027-10-07）。"
        ]
    }
    assert calendar_rows() == []


def test_the_correction_form_starts_from_the_packaged_year(system_admin: User) -> None:
    form = client_for(system_admin).get("/policy/calendar/new/?year=2026").context["form"]
    assert form.initial["year"] == 2026
    assert form.initial["workdays"].splitlines() == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]


# --- API ---------------------------------------------------------------------------------------------------


def test_api_returns_the_value_in_force_with_its_source(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/api/v1/policy/monitoring_line?on=2026-06-01")
    body = response.json()
    assert response.status_code == 200
    assert {k: body[k] for k in ("key", "value", "display", "effective_from", "region_prefix")} == {
        "key": "monitoring_line",
        "value": 7800,
        "display": "7,800 元",
        "effective_from": "2024-01-01",
        "region_prefix": "61",
    }
    assert body["source"].startswith("演示假设，不是陕西省公布的数字")


def test_api_unknown_key_is_404_json_in_chinese(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/api/v1/policy/monitoring_lin")
    assert response.status_code == 404
    assert response.json() == {
        "code": "unknown_policy_key",
        "message": "未知的政策参数：“monitoring_lin”。请检查参数名称是否正确。",
    }


def test_api_errors_for_bad_region_unset_value_and_non_deadline(city_hq: User) -> None:
    client = client_for(city_hq)
    bad_region = client.get("/api/v1/policy/monitoring_line?region=6100")
    assert (bad_region.status_code, bad_region.json()["code"]) == (422, "invalid_region")
    not_set = client.get("/api/v1/policy/monitoring_line?region=6109&on=2020-01-01")
    assert (not_set.status_code, not_set.json()["code"]) == (404, "policy_not_set")
    not_deadline = client.get("/api/v1/calendar/due-date?key=monitoring_line&start=2026-01-05&region=6109")
    assert (not_deadline.status_code, not_deadline.json()["code"]) == (422, "not_a_deadline")
    bad_date = client.get("/api/v1/calendar/due-date?key=deadline.home_check&start=2026-02-30")
    assert bad_date.status_code == 422
    assert bad_date.json()["code"] == "validation_error"


def test_api_due_date_is_provisional_until_the_year_is_entered(city_hq: User, system_admin: User) -> None:
    url = "/api/v1/calendar/due-date?key=deadline.home_check&start=2026-12-28&region=610902001001"
    client = client_for(city_hq)
    assert client.get(url).json() == {
        "key": "deadline.home_check",
        "region_prefix": "610902001001",
        "start": "2026-12-28",
        "days": 5,
        "unit": "working",
        "date": "2027-01-04",
        "provisional": True,
    }
    client_for(system_admin).post("/policy/calendar/new/", NEW_YEAR)
    body = client.get(url).json()
    assert (body["date"], body["provisional"]) == ("2027-01-05", False)


# --- dates outside 2000–2100: a Chinese message naming the field, never a 500 ------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "/api/v1/calendar/due-date?key=deadline.home_check&start=9999-12-30",
            "“起算日期（start）”必须在 2000-01-01 至 2100-12-31 之间，收到 9999-12-30。",
        ),
        (
            "/api/v1/calendar/due-date?key=deadline.village_notice&start=0001-01-01",
            "“起算日期（start）”必须在 2000-01-01 至 2100-12-31 之间，收到 0001-01-01。",
        ),
        (
            "/api/v1/policy/monitoring_line?on=9999-12-31",
            "“取值日期（on）”必须在 2000-01-01 至 2100-12-31 之间，收到 9999-12-31。",
        ),
        (
            "/api/v1/policy/monitoring_line?on=1999-12-31",
            "“取值日期（on）”必须在 2000-01-01 至 2100-12-31 之间，收到 1999-12-31。",
        ),
    ],
)
def test_api_dates_outside_the_range_are_422_naming_the_parameter(
    village_cadre: User, url: str, message: str
) -> None:
    response = client_for(village_cadre).get(url)
    assert response.status_code == 422
    assert response.json() == {"code": "date_out_of_range", "message": message}


def test_api_accepts_the_first_and_last_day_of_the_range(village_cadre: User) -> None:
    client = client_for(village_cadre)
    last = client.get("/api/v1/calendar/due-date?key=deadline.village_notice&start=2100-12-31")
    assert (last.status_code, last.json()["date"]) == (200, "2101-01-05")
    first = client.get("/api/v1/policy/monitoring_line?on=2000-01-01&region=")
    assert (first.status_code, first.json()["code"]) == (404, "policy_not_set")  # nothing before 2021


def test_the_list_names_a_date_outside_the_range_and_shows_today(city_hq: User) -> None:
    response = client_for(city_hq).get("/policy/?on=9999-12-31")
    assert response.status_code == 200
    assert response.context["on"] == timezone.localdate()
    assert "“日期”必须在 2000-01-01 至 2100-12-31 之间，收到 9999-12-31。" in response.content.decode()


def test_the_form_refuses_an_effective_date_outside_the_range(city_hq: User) -> None:
    before = policy_rows()
    response = client_for(city_hq).post(
        "/policy/monitoring_line/new/", {**NEW_LINE, "effective_from": "9999-12-31"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "effective_from": ["“生效日期”必须在 2000-01-01 至 2100-12-31 之间，收到 9999-12-31。"]
    }
    assert policy_rows() == before


def test_the_form_refuses_a_back_dated_version(city_hq: User) -> None:
    before = policy_rows()
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    response = client_for(city_hq).post(
        "/policy/monitoring_line/new/", {**NEW_LINE, "effective_from": yesterday.isoformat()}
    )
    assert response.context["form"].errors == {
        "effective_from": [
            f"生效日期不能早于今天（{today.isoformat()}）：已录入的版本决定了过去各日适用的取值，补录过去的日期会改变"
            "历史。如需更正，请以今天或以后的日期录入新版本，并在依据中说明原因。"
        ]
    }
    assert policy_rows() == before


# --- the deadline calculator on the calendar page ----------------------------------------------------------

CALCULATOR = "/policy/calendar/?key=deadline.home_check&start=2026-12-28&region=610902001001"


class TestDeadlineCalculatorPermissions(PermissionMatrix):
    routes = [Route(CALCULATOR, allowed=BUSINESS | SYSTEM_ADMIN)]  # noqa: RUF012 — read by the matrix


def test_a_december_working_day_deadline_is_provisional_until_2027_is_entered(
    city_hq: User, system_admin: User
) -> None:
    client = client_for(city_hq)
    before = client.get(CALCULATOR, headers={"HX-Request": "true"})
    html = before.content.decode()
    assert html.lstrip().startswith('<div id="deadline-result"')
    assert "<html" not in html
    assert '<time datetime="2027-01-04">2027年1月4日</time>' in html
    assert '<span class="badge text-bg-warning"' in html
    assert "暂定" in html

    assert client_for(system_admin).post("/policy/calendar/new/", NEW_YEAR).status_code == 302
    after = client.get(CALCULATOR, headers={"HX-Request": "true"}).content.decode()
    assert '<time datetime="2027-01-05">2027年1月5日</time>' in after
    assert "暂定" not in after


def test_the_calculator_shows_the_rule_and_region_it_counted_with(village_cadre: User) -> None:
    response = client_for(village_cadre).get(
        "/policy/calendar/?key=deadline.identification&start=2026-09-25&region="
    )
    assert response.status_code == 200
    deadline = response.context["deadline"]
    assert (deadline.date, deadline.provisional, deadline.days) == (D(2026, 10, 22), False, 15)
    page = response.content.decode()
    assert "东关村（610902001001）“识别认定总时限”自 2026-09-25 起 15 个工作日，截止日期：" in page
    assert '<time datetime="2026-10-22">2026年10月22日</time>' in page


def test_the_calculator_starts_with_the_users_region_and_today(village_cadre: User) -> None:
    form = client_for(village_cadre).get("/policy/calendar/").context["deadline_form"]
    assert not form.is_bound
    assert form.initial == {
        "key": "deadline.self_report_acceptance",
        "start": timezone.localdate(),
        "region": "610902001001",
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "key=deadline.home_check&start=2026-12-28&region=610981100001",
            "区划“610981100001”不在您的管辖范围内。",
        ),
        ("key=deadline.home_check&start=2026-12-28&region=6100", "区划“6100”无效"),
        (
            "key=deadline.home_check&start=9999-12-30",
            "“起算日期”必须在 2000-01-01 至 2100-12-31 之间，收到 9999-12-30。",
        ),
        ("key=monitoring_line&start=2026-12-28", "请选择列表中的期限。"),
        ("key=deadline.home_check&start=", "请填写起算日期。"),
        (
            "key=deadline.home_check&start=2026-12-28&region=620000000000",
            "区划“62”不在您的管辖范围内。",
        ),
    ],
)
def test_bad_calculator_input_is_named_and_computes_nothing(
    village_cadre: User, query: str, message: str
) -> None:
    client = client_for(village_cadre)
    page = client.get(f"/policy/calendar/?{query}")
    result = client.get(f"/policy/calendar/?{query}", headers={"HX-Request": "true"})
    assert page.status_code == result.status_code == 200
    assert page.context["deadline"] is None
    assert message in page.content.decode()
    assert message in result.content.decode()
    assert "<time" not in result.content.decode()


def test_the_system_admin_computes_for_any_region_and_is_told_when_no_rule_is_set(system_admin: User) -> None:
    client = client_for(system_admin)
    shaanxi = client.get(CALCULATOR)
    assert shaanxi.context["deadline"].date == D(2027, 1, 4)
    nationwide = client.get("/policy/calendar/?key=deadline.home_check&start=2026-12-28")
    assert nationwide.context["deadline"] is None
    assert (
        "政策参数“入户核查时限”（deadline.home_check）在 2026-12-28 对全国没有生效的取值，请市指挥部先录入。"
        in nationwide.content.decode()
    )
