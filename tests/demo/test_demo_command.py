"""`bangfu demo --no-serve` builds the demo city and accounts, is re-runnable, and refuses a real database."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from bangfu.accounts.models import User
from bangfu.demo.services import DEMO_ACCOUNTS
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db
ALLOW = [] if connection.vendor == "sqlite" else ["--allow-non-sqlite"]


def test_demo_loads_ankang_and_one_account_per_role(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve", *ALLOW)
    out = capsys.readouterr().out
    assert Region.objects.filter(code__startswith="6109", level=5).count() == 1924
    assert set(User.objects.values_list("username", flat=True)) == {a.username for a in DEMO_ACCOUNTS}
    assert set(User.objects.values_list("role", flat=True)) == {a.role for a in DEMO_ACCOUNTS}
    assert "demo_village" in out
    assert "Bangfu@2026" in out


def test_demo_can_run_twice_without_changes() -> None:
    call_command("demo", "--no-serve", *ALLOW)
    before = list(User.objects.order_by("pk").values_list("pk", "username", "password"))
    call_command("demo", "--no-serve", *ALLOW)
    assert list(User.objects.order_by("pk").values_list("pk", "username", "password")) == before


def test_demo_refuses_a_database_with_real_accounts(village_cadre: User) -> None:
    with pytest.raises(CommandError, match="数据库中已有 1 个非演示账号"):
        call_command("demo", "--no-serve", *ALLOW)
    assert not User.objects.filter(username__startswith="demo_").exists()


def test_demo_writes_only_to_sqlite_unless_explicitly_allowed() -> None:
    # CI runs this file on both databases: each run checks its side of the rule.
    if connection.vendor == "sqlite":
        call_command("demo", "--no-serve")
        assert User.objects.filter(username="demo_city").exists()
    else:
        with pytest.raises(CommandError, match="演示数据只写入 SQLite 数据库"):
            call_command("demo", "--no-serve")
        assert not User.objects.exists()
