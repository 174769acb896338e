"""Screening (``monitoring.screening``): rules as data over department uploads and the registry, the
warnings they raise with their facts, once per episode, with thresholds from the policy of the day."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bangfu.accounts.models import Role, Sector, User
from bangfu.audit.models import AuditEvent
from bangfu.datasets.importing import import_dataset
from bangfu.monitoring import rules, screening, services
from bangfu.monitoring.models import ScreeningRun, ScreeningWarning, WarningStatus
from bangfu.monitoring.screening import screen
from bangfu.policy.services import add_policy_version
from bangfu.regions.models import Region
from bangfu.registry.models import ImportStatus, Member, ProgrammeKind
from tests.factories import (
    HouseholdFactory,
    IncomeStatementFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
    UserFactory,
    ensure_default_rules,
    synthetic_id_number,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 20)
FEBRUARY = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
STRANGER = synthetic_id_number(birth=dt.date(1959, 5, 6), sex="male", serial=77)
MEDICAL = ["姓名", "身份证号码", "出院日期", "个人自付"]
SCHOOL = ["学生姓名", "身份证号码", "学籍状态", "核查日期"]


def policy(
    key: str, value: Any, *, effective_from: dt.date = dt.date(2025, 1, 1), prefix: str = "61"
) -> None:
    add_policy_version(
        key=key, region_prefix=prefix, effective_from=effective_from, value=value, source_note="测试", by=None
    )


@pytest.fixture
def policies(regions: dict[str, Region]) -> None:
    policy("medical.oop_per_stay_monitored", "6000")
    policy("medical.oop_per_stay_other", "10000")
    policy("employment.no_contribution_months", 3)
    policy("monitoring_line", "7000")
    policy("deadline.warning_feedback", {"days": 5, "unit": "calendar"})


def upload(
    user: User,
    tmp_path: Path,
    kind: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    period: tuple[dt.date, dt.date] = FEBRUARY,
    on: dt.date = ON,
) -> None:
    path = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value))
    workbook.close()
    run = import_dataset(
        by=user,
        kind=kind,
        path=path,
        file_name=path.name,
        period_start=period[0],
        period_end=period[1],
        on=on,
    )
    assert run.status == ImportStatus.SUCCEEDED, run.problems


@pytest.fixture
def city(regions: dict[str, Region]) -> dict[str, Member]:
    """Households of one village: an exited-poor one, an ordinary one with two patients and two children,
    one on 低保, one in the other village."""
    exited = MemberFactory(name="张大山", household=HouseholdFactory(is_exited_poor=True))
    ordinary = HouseholdFactory()
    modest = MemberFactory(name="李二", household=ordinary)
    costly = MemberFactory(name="李三", household=ordinary, relation="spouse")
    pupil = MemberFactory(name="李小", household=ordinary, relation="son", birth_date=dt.date(2015, 9, 1))
    teen = MemberFactory(name="李大", household=ordinary, relation="son", birth_date=dt.date(2008, 9, 1))
    dibao_home = HouseholdFactory(region_code="610902001002")
    on_dibao = MemberFactory(name="王低保", household=dibao_home)
    ProgrammeEnrolmentFactory(household=dibao_home, kind=ProgrammeKind.DIBAO, start_date=dt.date(2024, 1, 1))
    return {
        "exited": exited,
        "modest": modest,
        "costly": costly,
        "pupil": pupil,
        "teen": teen,
        "on_dibao": on_dibao,
    }


def medical_rows(city: dict[str, Member]) -> list[list[Any]]:
    return [
        ["张大山", city["exited"].id_number, "2026-02-10", "7000"],  # over 6,000: exited-poor
        ["李二", city["modest"].id_number, "2026-02-11", "7000"],  # not over 10,000: ordinary
        ["李三", city["costly"].id_number, "2026-02-12", "12000.50"],  # over 10,000
        ["王低保", city["on_dibao"].id_number, "2026-02-13", "6500"],  # over 6,000: on 低保
        ["赵外人", STRANGER, "2026-02-14", "50000"],  # nobody in the registry
    ]


def warned(**filters: Any) -> set[tuple[str, int]]:
    return set(ScreeningWarning.objects.filter(**filters).values_list("rule_code", "household_id"))


def test_exactly_the_expected_households_are_warned_each_with_its_facts(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))

    run, results = screen(on=ON, codes=["MED-01", "MED-02"])

    assert warned() == {
        ("MED-01", city["exited"].household_id),
        ("MED-02", city["costly"].household_id),
        ("MED-01", city["on_dibao"].household_id),
    }
    assert {r.code: (r.flagged, r.new) for r in results} == {"MED-01": (2, 2), "MED-02": (1, 1)}
    assert run.created_warnings == 3
    assert run.counts["by_county"] == {"610902": 3}
    warning = ScreeningWarning.objects.get(household=city["exited"].household)
    assert warning.region_code == city["exited"].region_code
    assert warning.risk_type == "因病"
    assert warning.sector == Sector.MEDICAL_INSURANCE
    assert (warning.screened_on, warning.due_on) == (ON, ON + dt.timedelta(days=5))
    assert warning.status == WarningStatus.NEW
    assert warning.facts == {
        "source": "medical",
        "source_label": "医保住院费用",
        "version": 1,
        "period": ["2026-02-01", "2026-02-28"],
        "row": 2,
        "values": {"个人自付": "7000.00", "出院日期": "2026-02-10"},
        "tests": [
            {
                "field": "个人自付",
                "op": ">",
                "threshold": "6000.00",
                "policy": "medical.oop_per_stay_monitored",
            }
        ],
    }
    # The same facts as text carry no ID number.
    assert city["exited"].id_number not in json.dumps(warning.facts, ensure_ascii=False)


def test_rerunning_and_reuploading_the_same_facts_create_no_duplicate_warnings(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    screen(on=ON, codes=["MED-01", "MED-02"])
    again, results = screen(on=ON + dt.timedelta(days=1), codes=["MED-01", "MED-02"])
    # A corrected upload of the month (a new version) repeats three of the stays.
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city)[:3])
    third, _results = screen(on=ON + dt.timedelta(days=2), codes=["MED-01", "MED-02"])

    assert ScreeningWarning.objects.count() == 3
    assert (again.created_warnings, third.created_warnings) == (0, 0)
    assert {r.code: r.new for r in results} == {"MED-01": 0, "MED-02": 0}


def foreign_keys_of_warnings() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_key_list(monitoring_screeningwarning)")
            return {row[3] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid"
            " AND a.attnum = ANY(c.conkey) WHERE c.contype = 'f'"
            " AND c.conrelid = 'monitoring_screeningwarning'::regclass"
        )
        return {row[0] for row in cursor.fetchall()}


def indexes_of_warnings() -> dict[str, Any]:
    """The warnings table's indexes and constraints, each with its columns, kind and uniqueness."""
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, "monitoring_screeningwarning")


def test_a_large_run_writes_its_warnings_with_their_foreign_keys_checked_and_kept(
    tmp_path: Path,
    policies: None,
    city: dict[str, Member],
    department_user: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if it were a first run of 100,000s (on PostgreSQL the keys are checked in one join).
    monkeypatch.setattr(screening, "BULK_CHECK_FROM", 1)
    before = foreign_keys_of_warnings()
    indexes = indexes_of_warnings()
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))

    run, _results = screen(on=ON, codes=["MED-01", "MED-02"])

    assert run.created_warnings == ScreeningWarning.objects.count() == 3
    assert foreign_keys_of_warnings() == before == {"household_id", "rule_id", "answered_by_id"}
    # The indexes and the unique key rebuilt after the write are those there were.
    assert indexes_of_warnings() == indexes
    warning = ScreeningWarning.objects.first()
    assert warning is not None
    warning.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        warning.save()


def test_a_codes_versions_for_different_regions_report_as_one_rule(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User, city_hq: User
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    # 旬阳市 has its own MED-02; 汉滨区 keeps the city's.
    services.add_rule(
        by=city_hq,
        code="MED-02",
        name="旬阳：住院自付超过3000元",
        source="medical",
        condition=[{"field": "amount", "op": "gt", "value": 3000}],
        risk_type="因病",
        window_days=90,
        region_prefix="610981",
        effective_from=dt.date(2026, 1, 1),
    )

    run, results = screen(on=ON, codes=["MED-02"])

    assert [(r.code, r.flagged, r.new) for r in results] == [("MED-02", 1, 1)]
    assert run.counts["rules"]["MED-02"]["by_county"] == {"610902": 1}
    assert warned() == {("MED-02", city["costly"].household_id)}


@pytest.mark.django_db(transaction=True)
def test_a_full_run_outside_a_transaction_finds_the_same_in_parallel_sessions(
    tmp_path: Path,
    policies: None,
    city: dict[str, Member],
    department_user: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The nightly job's situation: committed data, no transaction around the run. On PostgreSQL the rules
    # run in parallel sessions (each its own connection); on SQLite one after another.
    sessions: list[str] = []
    in_session = screening._rule_in_session

    def counted(rule: Any, *args: Any, **kwargs: Any) -> Any:
        sessions.append(rule.code)
        return in_session(rule, *args, **kwargs)

    monkeypatch.setattr(screening, "_rule_in_session", counted)
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    sessions.clear()  # (the upload's own incremental run, once committed, is not this test's)
    ScreeningWarning.objects.all().delete()
    # A first run of 100,000s: on PostgreSQL also the keys checked in one join, the indexes rebuilt.
    monkeypatch.setattr(screening, "BULK_CHECK_FROM", 1)
    indexes = indexes_of_warnings()

    run, results = screen(on=ON, codes=["MED-01", "MED-02"])

    assert warned() == {
        ("MED-01", city["exited"].household_id),
        ("MED-02", city["costly"].household_id),
        ("MED-01", city["on_dibao"].household_id),
    }
    assert [(r.code, r.flagged, r.new) for r in results] == [("MED-01", 2, 2), ("MED-02", 1, 1)]
    assert run.created_warnings == 3
    assert run.counts["by_county"] == {"610902": 3}
    assert indexes_of_warnings() == indexes
    assert sorted(sessions) == (["MED-01", "MED-02"] if connection.vendor == "postgresql" else [])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'monitoring_hits_%%'")
            assert cursor.fetchone()[0] == 0


def test_a_threshold_change_dated_next_month_does_not_change_todays_result(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    policy("medical.oop_per_stay_other", "5000", effective_from=dt.date(2026, 4, 1))

    screen(on=ON, codes=["MED-02"], dry_run=False)
    assert warned() == {("MED-02", city["costly"].household_id)}
    # From April the lower threshold applies: the 7,000 stay of the same household's other member warns.
    _run, results = screen(on=dt.date(2026, 4, 2), codes=["MED-02"], dry_run=True)
    assert {r.code: (r.flagged, r.new) for r in results} == {"MED-02": (1, 1)}


def test_a_rule_reads_the_registry_person_and_programmes(
    tmp_path: Path, policies: None, city: dict[str, Member], regions: dict[str, Region]
) -> None:
    education = UserFactory(
        username="edu", role=Role.DEPARTMENT, region=regions["610902000000"], sector=Sector.EDUCATION
    )
    rows = [
        ["李小", city["pupil"].id_number, "疑似辍学", "2026-02-20"],  # 10 years old: compulsory age
        ["李大", city["teen"].id_number, "辍学", "2026-02-20"],  # 17: past compulsory age
        ["张大山", city["exited"].id_number, "在校", "2026-02-20"],
    ]
    upload(education, tmp_path, "school", SCHOOL, rows)

    _run, results = screen(on=ON, codes=["EDU-01"])

    assert warned() == {("EDU-01", city["pupil"].household_id)}
    assert ScreeningWarning.objects.get().risk_type == "因学"
    assert results[0].flagged == 1


def test_income_rule_reads_each_households_latest_statement(policies: None, city: dict[str, Member]) -> None:
    # 7,000 x 1.1 = 7,700 per person: the ordinary household of 3 with 22,400 net is under it.
    IncomeStatementFactory(household=city["modest"].household, wages=Decimal("19000"))
    IncomeStatementFactory(
        household=city["exited"].household, household_size=1, wages=Decimal("30000"), business=Decimal("0")
    )
    older = IncomeStatementFactory(
        household=city["on_dibao"].household,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        wages=Decimal("100"),
    )
    IncomeStatementFactory(household=older.household, household_size=1, wages=Decimal("60000"))

    _run, results = screen(on=ON, codes=["INC-01"])

    assert warned() == {("INC-01", city["modest"].household_id)}
    facts = ScreeningWarning.objects.get().facts
    assert facts["values"] == {"人均纯收入": "7466.67"}
    assert facts["tests"][0]["threshold"] == "7700.00"
    assert results[0].flagged == 1


def test_a_dry_run_previews_a_disabled_rule_and_writes_nothing(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User, city_hq: User
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    services.add_rule(
        by=city_hq,
        code="MED-X",
        name="任何住院自付超过5000元",
        source="medical",
        condition=[{"field": "amount", "op": "gt", "value": 5000}],
        risk_type="因病",
        effective_from=dt.date(2026, 1, 1),
        enabled=False,
    )

    _run, results = screen(on=ON, codes=["MED-X"], dry_run=True)
    # Four stays over 5,000 in three households: two of them in the same household, two episodes.
    assert {r.code: (r.flagged, r.new) for r in results} == {"MED-X": (3, 4)}
    assert not ScreeningWarning.objects.exists()
    assert not ScreeningRun.objects.exists()
    # Not enabled: a real run leaves it out.
    _run, results = screen(on=ON)
    assert "MED-X" not in {r.code for r in results}


def test_a_rule_without_its_policy_value_is_skipped_per_county_and_reported(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User, city_hq: User
) -> None:
    services.add_rule(
        by=city_hq,
        code="WTR-X",
        name="缺少参数",
        source="medical",
        condition=[{"field": "amount", "op": "gt", "value": {"policy": "welfare_post.max_hire_age"}}],
        risk_type="其他",
        effective_from=dt.date(2026, 1, 1),
    )
    _run, results = screen(on=ON, codes=["WTR-X", "MED-01"])
    by_code = {r.code: r for r in results}
    assert set(by_code["WTR-X"].skipped) == {"610902", "610981"}
    assert "公益性岗位" in by_code["WTR-X"].skipped["610902"]
    assert by_code["MED-01"].skipped == {}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ([], "至少包含一项"),
        ([{"field": "name", "op": "eq", "value": "x"}], "不能比较“name”"),
        ([{"field": "amount", "op": "between", "value": 1}], "比较方式“between”无效"),
        (
            [{"field": "amount", "op": "gt", "value": {"policy": "no.such.key"}}],
            "未知的政策参数“no.such.key”",
        ),
        ([{"any": [{"age": {"gte": -1}}]}], "第1项.1：年龄"),
        ([{"programme": "lottery"}], "项目须为以下之一"),
        ([{"colour": "red"}], "无法识别的条件"),
        ([{"income_share": {"op": "lt", "value": 0.4}}], "收入占比须写成"),
        # Values the screening could not compare are refused when the rule is written, not at night.
        ([{"field": "category", "op": "in", "value": []}], "须与一个非空列表比较"),
        ([{"field": "amount", "op": "gt", "value": ""}], "请填写取值"),
        ([{"field": "amount", "op": "gt", "value": "1,000"}], "取值“1,000”不是数字"),
        ([{"field": "event_date", "op": "gte", "value": 20240101}], "不是日期"),
        ([{"household": "is_exited_poor", "op": "eq", "value": "是"}], "true（是）或 false（否）"),
        ([{"household": "is_exited_poor", "op": "gt", "value": True}], "是/否只能用"),
        ([{"member": "labour_capacity", "op": "in", "value": ["strong"]}], "取值“strong”无效"),
        (
            [{"field": "amount", "op": "gt", "value": {"policy": "monitoring_line", "times": "x"}}],
            "倍数须为数字",
        ),
        ([{"income_share": {"op": "gt", "value": ""}}], "请填写取值"),
    ],
)
def test_a_bad_condition_is_explained_in_chinese(condition: Any, message: str) -> None:
    with pytest.raises(rules.RuleError, match=message):
        rules.check(condition, source="medical")


def test_the_default_rules_pass_the_check() -> None:
    from bangfu.monitoring.models import ScreeningRule

    ensure_default_rules()
    for rule in ScreeningRule.objects.all():
        rules.check(rule.condition, source=rule.source)


def test_a_rule_matching_nothing_runs_and_finds_nothing(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User
) -> None:
    from bangfu.monitoring.models import ScreeningRule

    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    # A rule stored before the check refused empty lists compiles to "matches nothing": the run goes on.
    ScreeningRule.objects.create(
        code="MED-X",
        name="空列表",
        source="medical",
        condition=[{"field": "grade", "op": "in", "value": []}],
        risk_type="因病",
        window_days=90,
        effective_from=dt.date(2026, 1, 1),
    )

    _run, results = screen(on=ON, codes=["MED-X", "MED-01"])

    assert {r.code: r.flagged for r in results} == {"MED-X": 0, "MED-01": 2}


def test_only_the_city_writes_rules(county_clerk: User) -> None:
    with pytest.raises(PermissionDenied):
        services.add_rule(
            by=county_clerk,
            code="X",
            name="x",
            source="medical",
            condition=[{"field": "amount", "op": "gt", "value": 1}],
            risk_type="因病",
            effective_from=ON,
        )


def test_the_village_answers_a_warning_once_with_a_reason_and_it_is_audited(
    tmp_path: Path,
    policies: None,
    city: dict[str, Member],
    department_user: User,
    village_cadre: User,
    other_village_cadre: User,
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    screen(on=ON, codes=["MED-01"])
    warning = ScreeningWarning.objects.get(household=city["exited"].household)

    with pytest.raises(services.MonitoringRefused, match="核查说明"):
        services.answer_warning(warning=warning, by=village_cadre, status=WarningStatus.EXCLUDED)
    with pytest.raises(PermissionDenied):
        services.answer_warning(warning=warning, by=other_village_cadre, status=WarningStatus.INCLUDED)
    with pytest.raises(PermissionDenied):
        services.answer_warning(warning=warning, by=department_user, status=WarningStatus.INCLUDED)
    answered = services.answer_warning(
        warning=warning, by=village_cadre, status=WarningStatus.EXCLUDED, reason="已由商业保险理赔"
    )
    assert (answered.status, answered.answer_reason, answered.answered_by) == (
        WarningStatus.EXCLUDED,
        "已由商业保险理赔",
        village_cadre,
    )
    with pytest.raises(services.MonitoringRefused, match="不能再处理"):
        services.answer_warning(warning=warning, by=village_cadre, status=WarningStatus.INCLUDED)
    event = AuditEvent.objects.filter(object_type="monitoring.screeningwarning").get()
    assert event.after["status"] == WarningStatus.EXCLUDED


def test_warnings_are_seen_by_their_village_and_the_department_whose_data_raised_them(
    tmp_path: Path,
    policies: None,
    city: dict[str, Member],
    department_user: User,
    village_cadre: User,
    other_village_cadre: User,
    regions: dict[str, Region],
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))
    screen(on=ON, codes=["MED-01", "MED-02"])
    civil = UserFactory(
        username="civil", role=Role.DEPARTMENT, region=regions["610902000000"], sector=Sector.CIVIL_AFFAIRS
    )

    assert ScreeningWarning.objects.visible_to(village_cadre).count() == 2
    assert ScreeningWarning.objects.visible_to(other_village_cadre).count() == 1
    assert ScreeningWarning.objects.visible_to(department_user).count() == 3
    assert ScreeningWarning.objects.visible_to(civil).count() == 0


def test_the_command_prints_counts_per_rule_and_county(
    tmp_path: Path,
    policies: None,
    city: dict[str, Member],
    department_user: User,
    capsys: pytest.CaptureFixture[str],
) -> None:
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city))

    call_command("screen", "--as-of", "2026-03-20", "--rule", "MED-01", "--rule", "MED-02", "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["created_warnings"] == 3
    assert payload["rules"]["MED-01"]["flagged"] == 2
    assert payload["by_county"] == {"610902": 3}

    call_command("screen", "--as-of", "2026-03-20", "--rule", "MED-01")
    out = capsys.readouterr().out
    assert "MED-01" in out
    assert "新增预警：0" in out


def test_the_nightly_job_runs_every_rule_and_warns_each_episode_once(
    policies: None, city: dict[str, Member]
) -> None:
    from bangfu.monitoring import jobs

    IncomeStatementFactory(household=city["modest"].household, wages=Decimal("19000"))

    assert jobs.screen_nightly.enqueue().return_value == 1
    assert jobs.screen_nightly.enqueue().return_value == 0
    assert warned() == {("INC-01", city["modest"].household_id)}
    assert ScreeningRun.objects.count() == 2


def test_a_new_upload_is_screened_incrementally_once_stored(
    tmp_path: Path,
    policies: None,
    city: dict[str, Member],
    department_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The background screening runs as of today: last month's stays.
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    period = (last_month_end.replace(day=1), last_month_end)
    rows = [[*row[:2], last_month_end.isoformat(), row[3]] for row in medical_rows(city)]
    IncomeStatementFactory(household=city["modest"].household, wages=Decimal("19000"))
    with django_capture_on_commit_callbacks(execute=True):
        upload(department_user, tmp_path, "medical", MEDICAL, rows, period=period, on=today)

    # Only the rules over medical data ran, over the new upload's rows: the income rule waits for its run.
    assert {code for code, _h in warned()} == {"MED-01", "MED-02"}
    run = ScreeningRun.objects.get()
    assert set(run.counts["rules"]) == {"MED-01", "MED-02", "MED-03"}
    # A dry run of the check stores no version and screens nothing.
    with django_capture_on_commit_callbacks(execute=True):
        import_dataset(
            by=department_user,
            kind="medical",
            path=next(tmp_path.glob("*.xlsx")),
            file_name="again.xlsx",
            period_start=period[0],
            period_end=period[1],
            dry_run=True,
        )
    assert ScreeningRun.objects.count() == 1


def test_medical_costs_over_a_share_of_the_households_income_warn_once_a_year(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User
) -> None:
    policy("medical.oop_income_ratio", "0.4")
    # The ordinary household nets 27,400 a year: 40 % is 10,960. Its two members' stays total 19,000.50.
    IncomeStatementFactory(household=city["modest"].household)
    # The exited-poor household nets 60,000: its 7,000 stay is 12 %.
    IncomeStatementFactory(household=city["exited"].household, wages=Decimal("60000"), business=Decimal("0"))
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city)[:3])

    _run, results = screen(on=ON, codes=["MED-03"])

    assert warned() == {("MED-03", city["modest"].household_id)}
    assert {r.code: (r.flagged, r.new) for r in results} == {"MED-03": (1, 1)}
    # The warning shows the total and the income it was compared with, and the ratio of the policy.
    facts = ScreeningWarning.objects.get().facts
    assert facts["values"]["累计金额"] == "19000.50"
    assert facts["values"]["家庭纯收入"] == "27400.00"
    assert facts["tests"] == [
        {
            "field": "累计金额占家庭纯收入比例",
            "op": ">",
            "threshold": "0.40",
            "policy": "medical.oop_income_ratio",
        }
    ]
    # The next run, and another stay of the same household, add no second warning this year.
    _run, again = screen(on=ON + dt.timedelta(days=1), codes=["MED-03"])
    assert again[0].new == 0


def test_a_household_without_an_income_statement_is_checked_on_its_costs(
    tmp_path: Path, policies: None, city: dict[str, Member], department_user: User
) -> None:
    policy("medical.oop_income_ratio", "0.4")
    upload(department_user, tmp_path, "medical", MEDICAL, medical_rows(city)[:1])

    screen(on=ON, codes=["MED-03"])

    assert warned() == {("MED-03", city["exited"].household_id)}
