"""`bangfu demo --no-serve` builds the demo city, accounts and population, is re-runnable, and refuses a real
database."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.demo.services import DEMO_ACCOUNTS, POPULATION_OPERATION
from bangfu.regions.models import Region
from bangfu.registry.models import Household, Member

pytestmark = pytest.mark.django_db
ALLOW = [] if connection.vendor == "sqlite" else ["--allow-non-sqlite"]
# Most tests need no households: the population's own behaviour is tested in test_population_*.py.
NONE = ["--households", "0"]
# The population is generated in this process: the forked workers have their own tests
# (test_population_load.py, test_population_rows.py).
ONE = ["--workers", "1"]


def test_demo_loads_ankang_and_one_account_per_role(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve", "--households", "120", "--seed", "8", *ONE, *ALLOW)
    out = capsys.readouterr().out
    assert Region.objects.filter(code__startswith="6109", level=5).count() == 1924
    assert set(User.objects.values_list("username", flat=True)) == {a.username for a in DEMO_ACCOUNTS}
    assert set(User.objects.values_list("role", flat=True)) == {a.role for a in DEMO_ACCOUNTS}
    assert "demo_village" in out
    assert "Bangfu@2026" in out
    members = Member.objects.count()
    assert f"演示人口：120 户，{members:,} 人（随机种子 8，" in out
    assert Household.objects.count() == 120


def test_demo_can_run_twice_without_changes(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve", "--households", "80", *ONE, *ALLOW)
    before = list(User.objects.order_by("pk").values_list("pk", "username", "password"))
    households = list(Household.objects.order_by("pk").values_list("pk", "household_number"))
    capsys.readouterr()
    # Without --households the existing population is kept, whatever its size.
    call_command("demo", "--no-serve", *ONE, *ALLOW)
    assert "演示人口已存在：80 户" in capsys.readouterr().out
    call_command("demo", "--no-serve", "--households", "80", *ONE, *ALLOW)
    assert list(User.objects.order_by("pk").values_list("pk", "username", "password")) == before
    assert list(Household.objects.order_by("pk").values_list("pk", "household_number")) == households
    assert AuditEvent.objects.filter(operation=POPULATION_OPERATION).count() == 1


def test_demo_refuses_to_reshape_an_existing_population() -> None:
    call_command("demo", "--no-serve", "--households", "40", *ONE, *ALLOW)
    with pytest.raises(CommandError, match="演示人口不能改变规模或种子") as refused:
        call_command("demo", "--no-serve", "--households", "50", *ONE, *ALLOW)
    assert refused.value.returncode == 1
    assert Household.objects.count() == 40


def test_demo_county_may_reveal_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve", *NONE, *ALLOW)
    out = capsys.readouterr().out
    assert set(User.objects.filter(may_reveal_personal_data=True).values_list("username", flat=True)) == {
        "demo_county"
    }
    county_line = next(line for line in out.splitlines() if "demo_county" in line)
    assert "可查看完整身份证号码和电话" in county_line
    call_command("demo", "--no-serve", *NONE, *ALLOW)
    # Granted once, audited once.
    assert AuditEvent.objects.filter(operation="reveal_granted").count() == 1
    assert AuditEvent.objects.get(operation="reveal_granted").object_id == str(
        User.objects.get(username="demo_county").pk
    )


def test_demo_refuses_a_database_with_real_accounts(village_cadre: User) -> None:
    with pytest.raises(CommandError, match="数据库中已有 1 个非演示账号"):
        call_command("demo", "--no-serve", *NONE, *ALLOW)
    assert not User.objects.filter(username__startswith="demo_").exists()


def test_demo_writes_only_to_sqlite_unless_explicitly_allowed() -> None:
    # CI runs this file on both databases: each run checks its side of the rule.
    if connection.vendor == "sqlite":
        call_command("demo", "--no-serve", *NONE)
        assert User.objects.filter(username="demo_city").exists()
    else:
        with pytest.raises(CommandError, match="演示数据只写入 SQLite 数据库"):
            call_command("demo", "--no-serve", *NONE)
        assert not User.objects.exists()


def test_demo_adds_last_months_department_data_and_screens_it_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bangfu.datasets.models import DatasetRecord, DatasetVersion
    from bangfu.monitoring.models import ScreeningRun, ScreeningWarning
    from tests.factories import ensure_default_rules

    ensure_default_rules()
    call_command("demo", "--no-serve", "--households", "600", "--seed", "3", *ONE, *ALLOW)
    out = capsys.readouterr().out

    versions = DatasetVersion.objects.all()
    assert sorted(versions.values_list("kind", flat=True)) == [
        "assistance",
        "death",
        "disability",
        "disaster",
        "employment",
        "housing",
        "medical",
        "school",
    ]
    records = DatasetRecord.objects.count()
    # Every listed person is a current member of the demo population, so every row matched.
    assert records > 300
    assert DatasetRecord.objects.exclude(match="matched").count() == 0
    assert DatasetRecord.objects.filter(household__isnull=True).count() == 0
    warnings = ScreeningWarning.objects.count()
    assert warnings > 0
    # The flood's households are warned by the disaster rule.
    assert ScreeningWarning.objects.filter(rule_code="DSR-01").exists()
    assert f"{records:,} 条；筛查生成预警线索 {warnings:,} 条" in out
    # A second run keeps the data and does not screen again.
    call_command("demo", "--no-serve", *ONE, *ALLOW)
    assert DatasetRecord.objects.count() == records
    assert ScreeningRun.objects.count() == 1
