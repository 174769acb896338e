"""Writes: a change is a new version, never an edit; each write is checked, validated and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bangfu import policy
from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.core.appendonly import AppendOnlyError
from bangfu.policy import services
from bangfu.policy.exceptions import UnknownPolicyKey
from bangfu.policy.models import OfficialCalendarYear, PolicyValue
from bangfu.regions.models import Region
from tests.policy.conftest import calendar_rows, policy_rows

D = dt.date
VILLAGE = "610902001001"
LINE = "“防止返贫监测范围（家庭年人均纯收入）”："


def add_line(user: User | None, **overrides: object) -> PolicyValue:
    arguments: dict[str, object] = {
        "key": "monitoring_line",
        "region_prefix": "6109",
        "effective_from": D(2026, 1, 1),
        "value": "8100",
        "source_note": "安康市2026年监测范围通知（测试）",
        "by": user,
        "today": D(2025, 1, 1),  # the day the test enters it: every date used below lies ahead
    }
    arguments.update(overrides)
    return services.add_policy_version(**arguments)  # type: ignore[arg-type]


# --- append-only -------------------------------------------------------------------------------------------


def test_a_new_version_leaves_the_old_one_unchanged(city_hq: User) -> None:
    first = add_line(city_hq, effective_from=D(2025, 1, 1), value="8000")
    second = add_line(city_hq, effective_from=D(2026, 1, 1), value="8100")
    first.refresh_from_db()
    assert (first.value, first.effective_from) == (8000, D(2025, 1, 1))
    assert (second.value, second.effective_from, second.created_by) == (8100, D(2026, 1, 1), city_hq)
    assert PolicyValue.objects.filter(key="monitoring_line", region_prefix="6109").count() == 2
    assert policy.value("monitoring_line", region=VILLAGE, on=D(2025, 12, 31)) == Decimal(8000)
    assert policy.value("monitoring_line", region=VILLAGE, on=D(2026, 1, 1)) == Decimal(8100)


def test_a_stored_version_cannot_be_saved_again(db: None) -> None:
    row = PolicyValue.objects.get(key="monitoring_line", region_prefix="")
    row.value = 1
    with pytest.raises(AppendOnlyError) as caught:
        row.save()
    assert caught.value.message == (
        f"“政策参数版本”只能追加新记录，不能修改已保存的记录（编号 {row.pk}）；更正请新增一条记录。"
    )
    row.refresh_from_db()
    assert row.value == 6000


def test_stored_versions_cannot_be_deleted_or_updated_in_bulk(db: None) -> None:
    before = policy_rows()
    row = PolicyValue.objects.get(key="monitoring_line", region_prefix="")
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        PolicyValue.objects.filter(key="monitoring_line").update(value=1)
    with pytest.raises(AppendOnlyError):
        PolicyValue.objects.filter(key="monitoring_line").delete()
    with pytest.raises(AppendOnlyError):
        PolicyValue.objects.bulk_update([row], ["value"])
    assert policy_rows() == before


def test_the_same_key_region_and_date_cannot_be_entered_twice(city_hq: User) -> None:
    add_line(city_hq, value="8100")
    before = policy_rows()
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, value="8200")
    assert caught.value.message_dict == {
        "effective_from": [
            "“防止返贫监测范围（家庭年人均纯收入）”（区划6109）自 2026-01-01 起已有一个版本（8,100 元）。"
            "已保存的版本不能修改；如需更正，请以更正生效的日期录入新版本，并在依据中说明更正原因。"
        ]
    }
    assert policy_rows() == before


# --- validation and permission -----------------------------------------------------------------------------


def test_every_bad_input_is_reported_by_field_and_nothing_is_stored(city_hq: User) -> None:
    before = policy_rows()
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, region_prefix="6100", value="八千", source_note="  ")
    assert caught.value.message_dict == {
        "region_prefix": ["区划“6100”无效：应为12位统计用区划代码，或2、4、6、9、12位的区划前缀。"],
        "source_note": ["请填写依据：文件名称、文号、条款或网址。"],
        "amount": [LINE + "金额必须是不小于 0 的数字，最多两位小数（单位：元），收到“八千”。"],
    }
    assert policy_rows() == before


def test_a_duration_needs_days_and_a_unit(city_hq: User) -> None:
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, key="deadline.home_check", value={"days": "五", "unit": ""})
    assert caught.value.message_dict == {
        "days": ["“入户核查时限”：天数必须是 1 到 3650 之间的整数，收到“五”。"]
    }


def test_unknown_key_is_refused(city_hq: User) -> None:
    with pytest.raises(UnknownPolicyKey):
        add_line(city_hq, key="no_such_key")


@pytest.mark.parametrize("region_prefix", ["", "61", "6110", "620000000000"])
def test_city_hq_cannot_set_values_outside_its_city(city_hq: User, region_prefix: str) -> None:
    before = policy_rows()
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, region_prefix=region_prefix)
    assert caught.value.message_dict == {"region_prefix": ["只能为本人管辖范围内的区划录入政策参数。"]}
    assert policy_rows() == before


def test_a_region_that_was_never_loaded_is_refused(city_hq: User) -> None:
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, region_prefix="610999")
    assert caught.value.message_dict == {"region_prefix": ["区划“610999”不存在，请先导入该区划。"]}


@pytest.mark.parametrize("persona", ["county_clerk", "village_cadre", "system_admin", "auditor"])
def test_only_city_hq_adds_versions(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    before = policy_rows()
    with pytest.raises(PermissionDenied):
        add_line(user, region_prefix="610902")
    assert policy_rows() == before


def test_a_new_version_is_audited(city_hq: User) -> None:
    row = add_line(city_hq, region_prefix="610902001001", value="8300.5")
    event = AuditEvent.objects.get(object_type="policy.policyvalue", object_id=str(row.pk))
    assert (event.action, event.actor_username, event.region_code) == ("create", "city_hq", "610902001001")
    assert event.data == {
        "after": {
            "parameter": "monitoring_line",
            "region_prefix": "610902001001",
            "effective_from": "2026-01-01",
            "value": "8300.5",  # floats are recorded as text (see audit.events.json_safe)
            "source_note": "安康市2026年监测范围通知（测试）",
        }
    }


# --- effective dates: no back-dating by people, a sane range for everyone ---------------------------------

BACKDATED = (
    "生效日期不能早于今天（2026-03-02）：已录入的版本决定了过去各日适用的取值，补录过去的日期会改变历史。"
    "如需更正，请以今天或以后的日期录入新版本，并在依据中说明原因。"
)


def test_a_person_cannot_back_date_a_version(city_hq: User) -> None:
    before = policy_rows()
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, effective_from=D(2026, 3, 1), today=D(2026, 3, 2))
    assert caught.value.message_dict == {"effective_from": [BACKDATED]}
    assert policy_rows() == before
    assert not AuditEvent.objects.filter(object_type="policy.policyvalue").exists()


def test_a_person_may_date_a_version_today_or_later(city_hq: User) -> None:
    today = add_line(city_hq, effective_from=D(2026, 3, 2), today=D(2026, 3, 2))
    later = add_line(city_hq, effective_from=D(2027, 1, 1), today=D(2026, 3, 2))
    assert (today.effective_from, later.effective_from) == (D(2026, 3, 2), D(2027, 1, 1))


def test_today_defaults_to_the_date_in_shanghai(city_hq: User) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, effective_from=yesterday, today=None)
    assert caught.value.message_dict["effective_from"][0].startswith(
        f"生效日期不能早于今天（{timezone.localdate().isoformat()}）"
    )


def test_the_system_may_back_date_when_seeding(regions: dict[str, Region]) -> None:
    row = add_line(None, region_prefix="6109", effective_from=D(2022, 1, 1), today=D(2026, 3, 2))
    assert (row.effective_from, row.created_by) == (D(2022, 1, 1), None)
    event = AuditEvent.objects.get(object_type="policy.policyvalue", object_id=str(row.pk))
    assert (event.actor_id, event.actor_username) == (None, "")


@pytest.mark.parametrize("by_system", [False, True])
@pytest.mark.parametrize(
    ("effective_from", "shown"), [(D(1999, 12, 31), "1999-12-31"), (D(9999, 12, 31), "9999-12-31")]
)
def test_an_effective_date_outside_2000_to_2100_is_refused(
    city_hq: User, by_system: bool, effective_from: dt.date, shown: str
) -> None:
    before = policy_rows()
    with pytest.raises(ValidationError) as caught:
        add_line(None if by_system else city_hq, effective_from=effective_from)
    assert caught.value.message_dict == {
        "effective_from": [f"“生效日期”必须在 2000-01-01 至 2100-12-31 之间，收到 {shown}。"]
    }
    assert policy_rows() == before


def test_the_last_day_of_2100_is_accepted(city_hq: User) -> None:
    assert add_line(city_hq, effective_from=D(2100, 12, 31)).effective_from == D(2100, 12, 31)


def test_an_amount_in_exponent_notation_is_refused_and_nothing_is_stored(city_hq: User) -> None:
    before = policy_rows()
    with pytest.raises(ValidationError) as caught:
        add_line(city_hq, value="1e400")
    assert caught.value.message_dict == {
        "amount": [
            LINE + "请用普通数字书写（如 7800 或 0.4），不接受科学计数法、NaN 或 Infinity，收到“1e400”。"
        ]
    }
    assert policy_rows() == before


# --- official calendar years -------------------------------------------------------------------------------

HOLIDAYS_2027 = [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)]  # this test's schedule, not the real notice


def test_a_calendar_year_is_entered_and_corrected_as_versions(system_admin: User) -> None:
    first = services.enter_calendar_year(
        year=2027, holidays=HOLIDAYS_2027, workdays=[], source_note="测试通知", by=system_admin
    )
    second = services.enter_calendar_year(
        year=2027,
        holidays=[*HOLIDAYS_2027, D(2027, 2, 8)],
        workdays=[D(2027, 2, 6)],
        source_note="测试通知（更正）",
        by=system_admin,
    )
    assert (first.version, second.version) == (1, 2)
    assert calendar_rows() == [
        (2027, 1, ["2027-01-01", "2027-01-02", "2027-01-03"], []),
        (2027, 2, ["2027-01-01", "2027-01-02", "2027-01-03", "2027-02-08"], ["2027-02-06"]),
    ]
    schedule = OfficialCalendarYear.objects.schedules(from_year=2027)[2027]
    assert D(2027, 2, 8) in schedule.holidays
    assert schedule.workdays == frozenset({D(2027, 2, 6)})
    assert AuditEvent.objects.filter(object_type="policy.officialcalendaryear", action="create").count() == 2
    with pytest.raises(AppendOnlyError):
        first.save()


def test_bad_calendar_entries_are_reported_in_chinese(system_admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.enter_calendar_year(
            year=2027,
            holidays=[D(2027, 1, 1), D(2026, 12, 31)],
            workdays=[D(2027, 1, 1), D(2027, 1, 4)],
            source_note="",
            by=system_admin,
        )
    assert caught.value.message_dict == {
        "holidays": ["“放假日期”中的 2026-12-31 不在 2027 年内。"],
        "workdays": [
            "2027-01-01 同时出现在“放假日期”和“调休上班日期”中，每个日期只能属于其中一类。",
            "“调休上班日期”应为周六或周日，2027-01-01、2027-01-04 是工作日，无需录入。",
        ],
        "source_note": ["请填写依据：文件名称、文号、条款或网址。"],
    }
    assert calendar_rows() == []


def test_an_identical_resubmission_is_refused(system_admin: User) -> None:
    services.enter_calendar_year(
        year=2027, holidays=HOLIDAYS_2027, workdays=[], source_note="测试", by=system_admin
    )
    with pytest.raises(ValidationError) as caught:
        services.enter_calendar_year(
            year=2027, holidays=HOLIDAYS_2027, workdays=[], source_note="再次", by=system_admin
        )
    assert caught.value.message_dict == {"holidays": ["与 2027 年现行第 1 版完全相同，无需重复录入。"]}
    assert len(calendar_rows()) == 1


@pytest.mark.parametrize("persona", ["city_hq", "county_clerk", "security_admin", "auditor"])
def test_only_the_system_admin_enters_calendars(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.enter_calendar_year(
            year=2027, holidays=HOLIDAYS_2027, workdays=[], source_note="测试", by=user
        )
    assert calendar_rows() == []
