"""``bangfu add-rule``: a province adds or changes screening rules from a JSON file, without code."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bangfu.accounts.models import User
from bangfu.monitoring.models import ScreeningRule
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db

RULE = {
    "code": "MED-61",
    "name": "陕西：单次住院自付超过8000元",
    "source": "medical",
    "condition": [{"field": "amount", "op": "gt", "value": 8000}],
    "risk_type": "因病",
    "effective_from": "2026-04-01",
    "region_prefix": "61",
}


def rule_file(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_city_adds_a_rule_version_from_a_file(
    tmp_path: Path, city_hq: User, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("add_rule", str(rule_file(tmp_path, RULE)), "--user", "city_hq")

    rule = ScreeningRule.objects.get(code="MED-61")
    assert (rule.region_prefix, str(rule.effective_from), rule.condition) == (
        "61",
        "2026-04-01",
        RULE["condition"],
    )
    assert "已新增规则 MED-61" in capsys.readouterr().out


def test_a_file_with_one_bad_rule_adds_none_and_says_why(tmp_path: Path, city_hq: User) -> None:
    bad = {**RULE, "code": "MED-62", "condition": [{"field": "amount", "op": "between", "value": 1}]}
    with pytest.raises(CommandError, match="比较方式“between”无效") as refused:
        call_command("add_rule", str(rule_file(tmp_path, [RULE, bad])), "--user", "city_hq")
    assert refused.value.returncode == 1
    assert not ScreeningRule.objects.filter(code__in=["MED-61", "MED-62"]).exists()


def test_only_the_city_may_add_rules(tmp_path: Path, county_clerk: User) -> None:
    with pytest.raises(CommandError, match="只有市级指挥部") as refused:
        call_command("add_rule", str(rule_file(tmp_path, RULE)), "--user", "county_clerk")
    assert refused.value.returncode == 1


def test_a_preview_counts_without_adding(
    tmp_path: Path, regions: dict[str, Region], city_hq: User, capsys: pytest.CaptureFixture[str]
) -> None:
    from bangfu.policy.services import add_policy_version

    add_policy_version(
        key="deadline.warning_feedback",
        region_prefix="61",
        effective_from=dt.date(2025, 1, 1),
        value={"days": 5, "unit": "calendar"},
        source_note="测试",
        by=None,
    )
    call_command("add_rule", str(rule_file(tmp_path, RULE)), "--user", "city_hq", "--preview")

    out = capsys.readouterr().out
    assert "MED-61：按 2026-04-01 的数据将涉及0户" in out
    assert "预览完成，未新增规则" in out
    assert not ScreeningRule.objects.filter(code="MED-61").exists()


def test_a_file_that_is_no_rule_is_a_usage_error(tmp_path: Path, city_hq: User) -> None:
    path = tmp_path / "rules.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("add_rule", str(path), "--user", "city_hq")
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="缺少 condition"):
        call_command(
            "add_rule",
            str(rule_file(tmp_path, {k: v for k, v in RULE.items() if k != "condition"})),
            "--user",
            "city_hq",
        )
