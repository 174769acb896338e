"""The security admin's user management (三员分立): create, edit role/scope/active, unlock, reset password,
reset TOTP; role/scope rules; no self-escalation; nobody else reaches these pages; every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts import lockouts, services
from bangfu.accounts.models import Role, Sector, User
from bangfu.regions.models import Region
from tests.accounts.flows import audit_events, fail_logins, post_login
from tests.permissions import PermissionMatrix, Route

pytestmark = pytest.mark.django_db

ONLY_SECURITY_ADMIN = frozenset({"security_admin"})
ADMIN_ROLE_CHOICE_MESSAGE = (
    "角色无效：%s。三员（审计员、安全管理员、系统管理员）账号只能在服务器上用 bangfu create-user 命令创建。"
)


def security_events(operation: str) -> list[Any]:
    return [e for e in audit_events("security") if e.operation == operation]


def user_count() -> int:
    return User.objects.count()


class TestUserManagementPermissions(PermissionMatrix):
    """Only the security admin reaches user management; writes by anyone else change nothing."""

    routes = [  # noqa: RUF012 — the matrix mixin reads a plain list
        Route("/accounts/users/", allowed=ONLY_SECURITY_ADMIN),
        Route("/accounts/users/new/", allowed=ONLY_SECURITY_ADMIN),
        Route(
            "/accounts/users/new/",
            method="post",
            data={"username": "intruder", "full_name": "X", "role": "city_hq", "region": "610900000000"},
            allowed=ONLY_SECURITY_ADMIN,
            state=user_count,
        ),
        Route("/accounts/system/", allowed=frozenset({"system_admin"})),
    ]


def test_village_cadre_gets_403_on_user_management(otp_client, village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(village_cadre)
    assert client.get("/accounts/users/").status_code == 403
    response = client.post("/accounts/users/new/", {"username": "x", "full_name": "x", "role": "auditor"})
    assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_auditor_and_system_admin_cannot_manage_users(otp_client, auditor: User, system_admin: User) -> None:  # type: ignore[no-untyped-def]
    for admin in (auditor, system_admin):
        assert otp_client(admin).get("/accounts/users/").status_code == 403


def test_anonymous_is_sent_to_login(client: Client, db: None) -> None:
    response = client.get("/accounts/users/")
    assert response["Location"] == "/accounts/login/?next=/accounts/users/"


# --- list -------------------------------------------------------------------------------------------------


def test_user_list_searches_username_name_and_unit(
    otp_client, security_admin: User, village_cadre: User, town_officer: User
) -> None:  # type: ignore[no-untyped-def]
    town_officer.unit = "老城街道办事处"
    town_officer.save()
    client = otp_client(security_admin)
    response = client.get("/accounts/users/", {"q": "街道"})
    assert [u.username for u, _locked in response.context["rows"]] == ["town_officer"]
    response = client.get("/accounts/users/", {"role": "village_team"})
    assert [u.username for u, _locked in response.context["rows"]] == ["village_cadre"]


def test_user_list_htmx_renders_only_the_rows(otp_client, security_admin: User, village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    response = otp_client(security_admin).get(
        "/accounts/users/", {"q": "village"}, headers={"HX-Request": "true"}
    )
    text = response.content.decode()
    assert "village_cadre" in text
    assert "<html" not in text


def test_user_list_marks_locked_accounts(otp_client, security_admin: User, village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    fail_logins(Client(), "village_cadre", 5)
    response = otp_client(security_admin).get("/accounts/users/")
    assert {u.username: locked for u, locked in response.context["rows"]} == {
        "security_admin": False,
        "village_cadre": True,
    }


# --- create -----------------------------------------------------------------------------------------------


def test_security_admin_creates_a_user_with_a_temporary_password(
    otp_client, security_admin: User, regions: dict[str, Region]
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(security_admin)
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "new_cadre",
            "full_name": "李四",
            "unit": "东关村",
            "role": "village_team",
            "region": "610902001001",
        },
    )
    assert response.status_code == 200
    user = User.objects.get(username="new_cadre")
    assert (user.role, user.region_id, user.sector, user.full_name) == (
        "village_team",
        "610902001001",
        "",
        "李四",
    )
    assert user.must_change_password is True
    temporary = response.context["password"]
    assert user.check_password(temporary)
    assert temporary in response.content.decode()
    [created] = security_events("user_created")
    assert created.actor_id == security_admin.pk
    assert created.data["detail"]["after"]["role"] == "village_team"
    # The new user can log in and must change the password first.
    assert post_login(Client(), "new_cadre", temporary)["Location"] == "/accounts/password/"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"role": "village_team", "region": ""}, {"region": ["业务角色必须选择管辖区域。"]}),
        ({"role": "auditor", "region": ""}, {"role": [ADMIN_ROLE_CHOICE_MESSAGE % "auditor"]}),
        ({"role": "department", "region": "610902000000"}, {"sector": ["行业部门用户必须选择行业。"]}),
        (
            {"role": "town", "region": "610902000000", "sector": "water"},
            {
                "region": ["乡镇的管辖区域必须是乡镇级，汉滨区不是。"],
                "sector": ["只有行业部门用户设置行业。"],
            },
        ),
        ({"role": "village_team", "region": "999999999999"}, {"region": ["区划代码不存在：999999999999"]}),
        ({"role": "village_team", "region": "61090"}, {"region": ["区划代码必须是12位数字：61090"]}),
        ({"role": "boss", "region": ""}, {"role": [ADMIN_ROLE_CHOICE_MESSAGE % "boss"]}),
    ],
)
def test_create_user_names_the_wrong_field(
    otp_client,
    security_admin: User,
    regions: dict[str, Region],
    data: dict[str, str],
    errors: dict[str, list[str]],
) -> None:  # type: ignore[no-untyped-def]
    response = otp_client(security_admin).post(
        "/accounts/users/new/", {"username": "someone", "full_name": "某人", **data}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert not User.objects.filter(username="someone").exists()


def test_create_user_refuses_a_taken_username(otp_client, security_admin: User, village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    response = otp_client(security_admin).post(
        "/accounts/users/new/",
        {"username": "village_cadre", "full_name": "x", "role": "village_team", "region": "610902001001"},
    )
    assert response.context["form"].errors == {"username": ["用户名已存在：village_cadre"]}


def test_department_user_is_created_with_sector(security_admin: User, regions: dict[str, Region]) -> None:
    user = services.create_user(
        by=security_admin,
        username="water_clerk",
        role=Role.DEPARTMENT,
        region=regions["610902000000"],
        sector=Sector.WATER,
        password="Water-pass-2026",
    )
    assert (user.role, user.sector, user.region_id) == ("department", "water", "610902000000")


def test_only_the_security_admin_may_create_users(system_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.create_user(
            by=system_admin, username="x", role=Role.AUDITOR, region=None, password="Aa-123456"
        )
    assert not User.objects.filter(username="x").exists()


def test_create_user_rejects_a_weak_password_without_leaving_a_user(db: None) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_user(by=None, username="weak", role=Role.AUDITOR, region=None, password="password")
    assert exc.value.message_dict == {
        "password": ["这个密码太常见了。", "密码须包含小写字母、大写字母、数字、符号中的至少3类。"]
    }
    assert not User.objects.filter(username="weak").exists()
    assert security_events("user_created") == []


# --- edit -------------------------------------------------------------------------------------------------


def edit_data(user: User, **changes: Any) -> dict[str, Any]:
    data = {
        "full_name": user.full_name,
        "unit": user.unit,
        "role": user.role,
        "region": user.region_id or "",
        "sector": user.sector,
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_role_change_is_saved_and_audited_with_before_and_after(
    otp_client, security_admin: User, village_cadre: User
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(security_admin)
    response = client.post(
        f"/accounts/users/{village_cadre.pk}/", edit_data(village_cadre, role="town", region="610902001000")
    )
    assert response.status_code == 302
    village_cadre.refresh_from_db()
    assert (village_cadre.role, village_cadre.region_id) == ("town", "610902001000")
    [event] = security_events("role_changed")
    assert event.actor_id == security_admin.pk
    assert event.object_id == str(village_cadre.pk)
    assert event.data == {
        "detail": {
            "before": {"role": "village_team", "region": "610902001001"},
            "after": {"role": "town", "region": "610902001000"},
        }
    }


def test_scope_change_and_deactivation_are_named_in_the_audit(
    security_admin: User, village_cadre: User, regions: dict[str, Region]
) -> None:
    services.update_user(
        user=village_cadre,
        by=security_admin,
        role=village_cadre.role,
        region=regions["610902001002"],
        sector="",
        is_active=True,
        full_name=village_cadre.full_name,
        unit="",
    )
    services.update_user(
        user=village_cadre,
        by=security_admin,
        role=village_cadre.role,
        region=regions["610902001002"],
        sector="",
        is_active=False,
        full_name=village_cadre.full_name,
        unit="",
    )
    assert [e.operation for e in audit_events("security")] == ["scope_changed", "user_deactivated"]


def test_saving_without_changes_writes_no_event(security_admin: User, village_cadre: User) -> None:
    services.update_user(
        user=village_cadre,
        by=security_admin,
        role=village_cadre.role,
        region=village_cadre.region,
        sector="",
        is_active=True,
        full_name=village_cadre.full_name,
        unit="",
    )
    assert audit_events("security") == []


def test_security_admin_cannot_change_own_role(otp_client, security_admin: User) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(security_admin)
    # An admin-role account's edit form has no role field: a posted role is ignored.
    response = client.post(
        f"/accounts/users/{security_admin.pk}/", edit_data(security_admin, role="system_admin")
    )
    assert response.status_code == 302
    security_admin.refresh_from_db()
    assert security_admin.role == "security_admin"
    assert audit_events("security") == []
    with pytest.raises(PermissionDenied):
        services.update_user(
            user=security_admin,
            by=security_admin,
            role=Role.SYSTEM_ADMIN,
            region=None,
            sector="",
            is_active=True,
            full_name=security_admin.full_name,
            unit="",
        )
    security_admin.refresh_from_db()
    assert security_admin.role == "security_admin"


def test_security_admin_cannot_deactivate_self(security_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.update_user(
            user=security_admin,
            by=security_admin,
            role=security_admin.role,
            region=None,
            sector="",
            is_active=False,
            full_name=security_admin.full_name,
            unit="",
        )
    security_admin.refresh_from_db()
    assert security_admin.is_active is True


def test_security_admin_may_edit_own_name(otp_client, security_admin: User) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(security_admin)
    response = client.post(
        f"/accounts/users/{security_admin.pk}/", edit_data(security_admin, full_name="王安全")
    )
    assert response.status_code == 302
    security_admin.refresh_from_db()
    assert security_admin.full_name == "王安全"


def test_security_admin_is_shown_but_not_offered_their_own_active_box(
    otp_client, security_admin: User
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(security_admin)
    page = client.get(f"/accounts/users/{security_admin.pk}/")
    box = page.content.decode().split('name="is_active"', 1)[1].split(">", 1)[0]
    assert "disabled" in box
    assert "不能停用自己的账号" in page.content.decode()
    # Posted unticked (a disabled box sends nothing): the name is saved, the account stays active.
    data = {k: v for k, v in edit_data(security_admin, full_name="王安全").items() if k != "is_active"}
    assert client.post(f"/accounts/users/{security_admin.pk}/", data).status_code == 302
    security_admin.refresh_from_db()
    assert (security_admin.full_name, security_admin.is_active) == ("王安全", True)


def test_the_reveal_grant_box_says_what_granting_it_means(
    otp_client, security_admin: User, village_cadre: User
) -> None:  # type: ignore[no-untyped-def]
    page = otp_client(security_admin).get(f"/accounts/users/{village_cadre.pk}/").content.decode()
    grant = page.split('name="may_reveal_personal_data"', 1)[1].split("</div>", 1)[0]
    assert "每次查看都记入审计日志" in grant


def test_nobody_else_may_change_roles(system_admin: User, village_cadre: User) -> None:
    with pytest.raises(PermissionDenied):
        services.update_user(
            user=village_cadre,
            by=system_admin,
            role=Role.CITY_HQ,
            region=village_cadre.region,
            sector="",
            is_active=True,
            full_name="",
            unit="",
        )
    village_cadre.refresh_from_db()
    assert village_cadre.role == "village_team"


def test_edit_form_does_not_offer_admin_roles(otp_client, security_admin: User, village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    response = otp_client(security_admin).post(
        f"/accounts/users/{village_cadre.pk}/", edit_data(village_cadre, role="auditor", region="")
    )
    assert response.context["form"].errors == {"role": [ADMIN_ROLE_CHOICE_MESSAGE % "auditor"]}
    village_cadre.refresh_from_db()
    assert village_cadre.role == "village_team"
    assert audit_events("security") == []


def test_edit_of_unknown_user_is_404(otp_client, security_admin: User) -> None:  # type: ignore[no-untyped-def]
    assert otp_client(security_admin).get("/accounts/users/999999/").status_code == 404


# --- unlock, reset password, reset TOTP --------------------------------------------------------------------


def test_security_admin_unlocks_a_locked_user(
    otp_client, security_admin: User, village_cadre: User, password: str
) -> None:  # type: ignore[no-untyped-def]
    fail_logins(Client(), "village_cadre", 5)
    assert lockouts.is_locked("village_cadre")
    response = otp_client(security_admin).post(f"/accounts/users/{village_cadre.pk}/unlock/")
    assert response.status_code == 302
    assert not lockouts.is_locked("village_cadre")
    assert AccessAttempt.objects.filter(username="village_cadre").count() == 0
    assert post_login(Client(), "village_cadre", password).status_code == 302
    [event] = security_events("account_unlocked")
    assert event.actor_id == security_admin.pk
    assert event.data["detail"]["was_locked"] is True


def test_unlock_needs_post(otp_client, security_admin: User, village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    assert otp_client(security_admin).get(f"/accounts/users/{village_cadre.pk}/unlock/").status_code == 405


def test_village_cadre_cannot_unlock(otp_client, village_cadre: User, other_village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    fail_logins(Client(), "other_village_cadre", 5)
    response = otp_client(village_cadre).post(f"/accounts/users/{other_village_cadre.pk}/unlock/")
    assert response.status_code == 403
    assert lockouts.is_locked("other_village_cadre")


def test_reset_password_shows_a_temporary_password_once_and_forces_a_change(
    otp_client, security_admin: User, village_cadre: User
) -> None:  # type: ignore[no-untyped-def]
    fail_logins(Client(), "village_cadre", 5)
    response = otp_client(security_admin).post(f"/accounts/users/{village_cadre.pk}/reset-password/")
    assert response.status_code == 200
    temporary = response.context["password"]
    village_cadre.refresh_from_db()
    assert village_cadre.check_password(temporary)
    assert village_cadre.must_change_password is True
    assert not lockouts.is_locked("village_cadre")
    assert [e.operation for e in audit_events("security")] == [
        "account_locked",
        "password_changed",
        "password_reset",
    ]
    assert post_login(Client(), "village_cadre", temporary)["Location"] == "/accounts/password/"


def test_security_admin_cannot_reset_own_password_or_totp(security_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.reset_password(user=security_admin, by=security_admin)
    with pytest.raises(PermissionDenied):
        services.reset_second_factor(user=security_admin, by=security_admin)


def test_reset_totp_removes_a_business_users_device(
    otp_client, security_admin: User, village_cadre: User
) -> None:  # type: ignore[no-untyped-def]
    TOTPDevice.objects.create(user=village_cadre, name="手机", confirmed=True)
    response = otp_client(security_admin).post(f"/accounts/users/{village_cadre.pk}/reset-second-factor/")
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=village_cadre).count() == 0
    [event] = security_events("second_factor_reset")
    assert event.actor_id == security_admin.pk
    assert event.data == {"detail": {"devices_removed": 1}}


def test_service_errors_for_fields_the_form_lacks_are_shown_on_top(regions: dict[str, Region]) -> None:
    from bangfu.accounts.forms import UserCreateForm
    from bangfu.accounts.views import _add_service_errors

    form = UserCreateForm({"username": "u", "full_name": "x", "role": "city_hq", "region": "610900000000"})
    assert form.is_valid()
    _add_service_errors(
        form, ValidationError({"password": ["密码太短，至少需要8个字符。"], "username": ["重名"]})
    )
    assert form.errors == {"__all__": ["密码太短，至少需要8个字符。"], "username": ["重名"]}
