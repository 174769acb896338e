"""三员分立 on the web: the security admin manages business accounts only. Admin-role accounts are created,
and their passwords and TOTP devices reset, on the server (``bangfu create-user``, ``bangfu reset-password``,
``bangfu reset-second-factor``); otherwise one person could hold the security admin's and the auditor's
powers. Every refusal leaves the accounts as they were and writes no audit event."""

from __future__ import annotations

import io
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts import lockouts, services
from bangfu.accounts.models import Role, User
from bangfu.regions.models import Region
from tests.accounts.flows import audit_events, fail_logins, post_login

pytestmark = pytest.mark.django_db

GRANT_MESSAGE = "不能在网页上授予管理员角色（三员）：三员账号只能在服务器上用 bangfu create-user 命令创建。"
ADMIN_SCOPE_MESSAGE = "管理员角色（三员）账号的角色和管辖范围不能在网页上修改。"
PASSWORD_MESSAGE = "管理员角色（三员）账号的密码只能在服务器上用 bangfu reset-password 命令重置。"
DEVICE_MESSAGE = "管理员角色（三员）账号的动态口令只能在服务器上用 bangfu reset-second-factor 命令重置。"
NEW_PASSWORD = "Server-reset-2026"


def account_state() -> list[tuple[Any, ...]]:
    """Everything a refused action must leave alone: users' roles, scopes, passwords and devices."""
    users = User.objects.order_by("pk").values_list(
        "username", "role", "region_id", "sector", "is_active", "password", "must_change_password"
    )
    devices = TOTPDevice.objects.order_by("pk").values_list("user_id", "confirmed")
    return [*users, *devices]


def update(user: User, by: User, **changes: Any) -> User:
    values: dict[str, Any] = {
        "role": user.role,
        "region": user.region,
        "sector": user.sector,
        "is_active": user.is_active,
        "full_name": user.full_name,
        "unit": user.unit,
        **changes,
    }
    return services.update_user(user=user, by=by, **values)


# --- creating and promoting --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN])
def test_security_admin_cannot_create_an_admin_role_account(security_admin: User, role: Role) -> None:
    before = account_state()
    with pytest.raises(ValidationError) as exc:
        services.create_user(
            by=security_admin, username="second_self", role=role, region=None, password="Strong-pass-2026"
        )
    assert exc.value.message_dict == {"role": [GRANT_MESSAGE]}
    assert account_state() == before
    assert audit_events("security") == []


def test_the_create_user_command_still_creates_admin_role_accounts(db: None) -> None:
    out = io.StringIO()
    call_command(
        "create_user",
        "--username",
        "auditor2",
        "--role",
        "auditor",
        "--password-stdin",
        stdin=io.StringIO("Deploy-pass-2026\n"),
        stdout=out,
    )
    assert User.objects.get(username="auditor2").role == "auditor"


def test_create_form_offers_business_roles_only(otp_client, security_admin: User) -> None:  # type: ignore[no-untyped-def]
    response = otp_client(security_admin).get("/accounts/users/new/")
    offered = [value for value, _label in response.context["form"].fields["role"].choices]
    assert offered == [
        "city_hq",
        "county_office",
        "department",
        "town",
        "village_team",
        "inspection_group",
    ]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN])
def test_security_admin_cannot_promote_a_business_user_to_an_admin_role(
    security_admin: User, village_cadre: User, role: Role
) -> None:
    before = account_state()
    with pytest.raises(ValidationError) as exc:
        update(village_cadre, security_admin, role=role, region=None)
    assert exc.value.message_dict == {"role": [GRANT_MESSAGE]}
    assert account_state() == before
    assert audit_events("security") == []


def test_security_admin_cannot_turn_the_auditor_into_a_business_user(
    security_admin: User, auditor: User, regions: dict[str, Region]
) -> None:
    before = account_state()
    with pytest.raises(ValidationError) as exc:
        update(auditor, security_admin, role=Role.CITY_HQ, region=regions["610900000000"])
    assert exc.value.message_dict == {"role": [ADMIN_SCOPE_MESSAGE]}
    assert account_state() == before


def test_security_admin_cannot_move_the_auditor_to_another_admin_role(
    security_admin: User, auditor: User
) -> None:
    before = account_state()
    with pytest.raises(ValidationError) as exc:
        update(auditor, security_admin, role=Role.SYSTEM_ADMIN)
    assert exc.value.message_dict == {"role": [ADMIN_SCOPE_MESSAGE]}
    assert account_state() == before


def test_security_admin_cannot_give_an_admin_account_a_scope(
    security_admin: User, system_admin: User, regions: dict[str, Region]
) -> None:
    before = account_state()
    with pytest.raises(ValidationError) as exc:
        update(system_admin, security_admin, region=regions["610902000000"])
    assert exc.value.message_dict == {"role": [ADMIN_SCOPE_MESSAGE]}
    with pytest.raises(ValidationError):
        update(system_admin, security_admin, sector="water")
    assert account_state() == before


def test_admin_account_edit_form_has_no_role_or_scope_and_ignores_posted_ones(
    otp_client, security_admin: User, auditor: User, regions: dict[str, Region]
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(security_admin)
    page = client.get(f"/accounts/users/{auditor.pk}/")
    assert list(page.context["form"].fields) == ["full_name", "unit", "is_active"]
    assert "重置为临时密码" not in page.content.decode()
    assert "重置动态口令" not in page.content.decode()
    response = client.post(
        f"/accounts/users/{auditor.pk}/",
        {
            "full_name": "审计员甲",
            "role": "city_hq",
            "region": "610900000000",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    auditor.refresh_from_db()
    assert (auditor.role, auditor.region_id, auditor.full_name) == ("auditor", None, "审计员甲")
    assert [e.operation for e in audit_events("security")] == ["user_updated"]


def test_security_admin_may_still_deactivate_an_admin_account(security_admin: User, auditor: User) -> None:
    update(auditor, security_admin, is_active=False)
    auditor.refresh_from_db()
    assert auditor.is_active is False
    assert [e.operation for e in audit_events("security")] == ["user_deactivated"]


# --- password and device resets ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["auditor", "system_admin"])
def test_security_admin_cannot_reset_an_admin_accounts_password_on_the_web(
    otp_client, security_admin: User, persona: str, request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    target: User = request.getfixturevalue(persona)
    client = otp_client(security_admin)
    before = account_state()
    response = client.post(f"/accounts/users/{target.pk}/reset-password/")
    assert response.status_code == 403
    assert "password" not in (response.context or {})
    with pytest.raises(PermissionDenied, match=PASSWORD_MESSAGE):
        services.reset_password(user=target, by=security_admin)
    assert account_state() == before
    assert audit_events("security") == []


def test_security_admin_cannot_reset_an_admin_accounts_device_on_the_web(
    otp_client, security_admin: User, auditor: User
) -> None:  # type: ignore[no-untyped-def]
    TOTPDevice.objects.create(user=auditor, name="手机", confirmed=True)
    client = otp_client(security_admin)
    before = account_state()
    response = client.post(f"/accounts/users/{auditor.pk}/reset-second-factor/")
    assert response.status_code == 403
    with pytest.raises(PermissionDenied, match=DEVICE_MESSAGE):
        services.reset_second_factor(user=auditor, by=security_admin)
    assert account_state() == before
    assert audit_events("security") == []


def test_security_admin_may_unlock_an_admin_account(otp_client, security_admin: User, auditor: User) -> None:  # type: ignore[no-untyped-def]
    fail_logins(Client(), "auditor", 5)
    assert lockouts.is_locked("auditor")
    response = otp_client(security_admin).post(f"/accounts/users/{auditor.pk}/unlock/")
    assert response.status_code == 302
    assert not lockouts.is_locked("auditor")
    assert AccessAttempt.objects.filter(username="auditor").count() == 0


# --- the server's commands ---------------------------------------------------------------------------------


def reset_password(*args: str, password: str = NEW_PASSWORD) -> str:
    out = io.StringIO()
    call_command("reset_password", *args, "--password-stdin", stdin=io.StringIO(password + "\n"), stdout=out)
    return out.getvalue()


def test_reset_password_command_sets_an_admins_password_unlocks_and_audits(auditor: User) -> None:
    fail_logins(Client(), "auditor", 5)
    output = reset_password("--username", "auditor", "--must-change-password")
    assert output == "已重置用户 auditor 的密码。\n"
    auditor.refresh_from_db()
    assert auditor.check_password(NEW_PASSWORD)
    assert auditor.must_change_password is True
    assert not lockouts.is_locked("auditor")
    reset = [e for e in audit_events("security") if e.operation == "password_reset"]
    assert [(e.actor_id, e.object_id, e.data) for e in reset] == [
        (None, str(auditor.pk), {"detail": {"channel": "command"}})
    ]
    assert post_login(Client(), "auditor", NEW_PASSWORD).status_code == 302


def test_reset_password_command_refuses_a_weak_password_with_exit_1(auditor: User) -> None:
    before = account_state()
    with pytest.raises(CommandError) as exc:
        reset_password("--username", "auditor", password="password")
    assert exc.value.returncode == 1
    assert (
        str(exc.value)
        == "密码: 这个密码太常见了。\n密码: 密码须包含小写字母、大写字母、数字、符号中的至少3类。"
    )
    assert account_state() == before


def test_reset_password_command_names_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match="用户不存在：nobody") as exc:
        reset_password("--username", "nobody")
    assert exc.value.returncode == 1


def test_reset_second_factor_command_removes_an_admins_device_and_audits(otp_client, auditor: User) -> None:  # type: ignore[no-untyped-def]
    auditor_client = otp_client(auditor)
    assert auditor_client.get("/accounts/password/").status_code == 200
    out = io.StringIO()
    call_command("reset_second_factor", "--username", "auditor", stdout=out)
    assert out.getvalue() == "已删除用户 auditor 的 1 个动态口令设备，其下次登录时需重新绑定。\n"
    assert TOTPDevice.objects.filter(user=auditor).count() == 0
    # The auditor's open session is no longer verified: sent to set up a new device.
    assert auditor_client.get("/accounts/password/")["Location"] == "/accounts/second-factor/setup/"
    [event] = [e for e in audit_events("security") if e.operation == "second_factor_reset"]
    assert (event.actor_id, event.data) == (None, {"detail": {"devices_removed": 1}})
