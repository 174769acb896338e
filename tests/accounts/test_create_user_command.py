"""``bangfu create-user``: the same service as the security admin's page; exit 1 with Chinese reasons."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bangfu.accounts.models import PasswordHistory, User
from bangfu.regions.models import Region
from tests.accounts.flows import audit_events

pytestmark = pytest.mark.django_db


DEPLOY_PASSWORD = "Deploy-pass-2026"


def create_user(*args: str, password: str = DEPLOY_PASSWORD) -> str:
    out = io.StringIO()
    call_command("create_user", *args, "--password-stdin", stdin=io.StringIO(password + "\n"), stdout=out)
    return out.getvalue()


def test_creates_a_village_cadre_with_region_and_history(regions: dict[str, Region]) -> None:
    output = create_user(
        "--username", "cadre1", "--role", "village_team", "--region", "610902001001", "--full-name", "张三"
    )
    assert output == "已创建用户 cadre1（驻村工作队）。\n"
    user = User.objects.get(username="cadre1")
    assert (user.role, user.region_id, user.full_name, user.must_change_password) == (
        "village_team",
        "610902001001",
        "张三",
        False,
    )
    assert user.check_password(DEPLOY_PASSWORD)
    assert PasswordHistory.objects.filter(user=user).count() == 1
    [created] = [e for e in audit_events("security") if e.operation == "user_created"]
    assert created.actor_id is None


def test_creates_an_admin_role_without_region(db: None) -> None:
    create_user("--username", "sec", "--role", "security_admin", "--must-change-password")
    user = User.objects.get(username="sec")
    assert (user.role, user.region_id, user.must_change_password) == ("security_admin", None, True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "village_team"], "管辖区域: 业务角色必须选择管辖区域。"),
        (["--role", "village_team", "--region", "610999999999"], "管辖区域: 区划代码不存在：610999999999"),
        (["--role", "auditor", "--region", "610902001001"], "管辖区域: 管理员角色（三员）不设管辖区域。"),
        (["--role", "department", "--region", "610902000000"], "行业: 行业部门用户必须选择行业。"),
        (["--role", "chief"], "角色: 角色无效：chief"),
    ],
)
def test_bad_input_exits_1_with_chinese_reason(
    regions: dict[str, Region], args: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as exc:
        create_user("--username", "bad", *args)
    assert exc.value.returncode == 1
    assert str(exc.value) == message
    assert not User.objects.filter(username="bad").exists()


def test_weak_password_exits_1_naming_the_password(db: None) -> None:
    with pytest.raises(CommandError) as exc:
        create_user("--username", "weak", "--role", "auditor", password="xq7")
    assert exc.value.returncode == 1
    assert str(exc.value).splitlines() == [
        "密码: 密码太短，至少需要8个字符。",
        "密码: 密码须包含小写字母、大写字母、数字、符号中的至少3类。",
    ]
    assert not User.objects.filter(username="weak").exists()


def test_duplicate_username_exits_1(village_cadre: User) -> None:
    with pytest.raises(CommandError) as exc:
        create_user("--username", "village_cadre", "--role", "auditor")
    assert str(exc.value) == "用户名: 用户名已存在：village_cadre"
