"""The reveal grant (可查看完整个人信息): set by the security admin on the user form, audited as a security
event of its own, refused for the admin roles, and what makes a registry reader see full ID numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from bangfu.accounts import services
from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry import access

pytestmark = pytest.mark.django_db

OtpClient = Callable[[User], Client]


def edit_data(user: User, **changes: Any) -> dict[str, Any]:
    """The edit form as the page posts it (an unchecked box is simply absent)."""
    data: dict[str, Any] = {
        "full_name": user.full_name,
        "unit": user.unit,
        "role": user.role,
        "region": user.region_id or "",
        "sector": user.sector,
        "is_active": "on" if user.is_active else "",
        "may_reveal_personal_data": "on" if user.may_reveal_personal_data else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def security_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="security").order_by("seq"))


def test_security_admin_grants_reveal_on_the_user_form_and_it_is_audited(
    otp_client: OtpClient, security_admin: User, village_cadre: User
) -> None:
    assert not access.can_reveal(village_cadre)
    response = otp_client(security_admin).post(
        f"/accounts/users/{village_cadre.pk}/", edit_data(village_cadre, may_reveal_personal_data="on")
    )
    assert response.status_code == 302
    village_cadre.refresh_from_db()
    assert village_cadre.may_reveal_personal_data is True
    assert access.can_reveal(village_cadre)
    # Only the grant changed: one event, named for it.
    [event] = security_events()
    assert (event.operation, event.actor_id, event.object_id) == (
        "reveal_granted",
        security_admin.pk,
        str(village_cadre.pk),
    )
    assert event.data == {
        "detail": {"before": {"may_reveal_personal_data": False}, "after": {"may_reveal_personal_data": True}}
    }


def test_unticking_the_box_revokes_the_grant(
    otp_client: OtpClient, security_admin: User, village_cadre: User
) -> None:
    User.objects.filter(pk=village_cadre.pk).update(may_reveal_personal_data=True)
    village_cadre.refresh_from_db()
    response = otp_client(security_admin).post(
        f"/accounts/users/{village_cadre.pk}/", edit_data(village_cadre, may_reveal_personal_data="")
    )
    assert response.status_code == 302
    village_cadre.refresh_from_db()
    assert village_cadre.may_reveal_personal_data is False
    assert [e.operation for e in security_events()] == ["reveal_revoked"]


def test_a_grant_together_with_a_role_change_writes_both_events(
    otp_client: OtpClient, security_admin: User, village_cadre: User
) -> None:
    otp_client(security_admin).post(
        f"/accounts/users/{village_cadre.pk}/",
        edit_data(village_cadre, role="town", region="610902001000", may_reveal_personal_data="on"),
    )
    role_event, grant_event = security_events()
    assert role_event.operation == "role_changed"
    # The role event does not carry the grant; the grant event does.
    assert "may_reveal_personal_data" not in role_event.data["detail"]["after"]
    assert grant_event.operation == "reveal_granted"


def test_the_form_shows_the_current_grant(
    otp_client: OtpClient, security_admin: User, village_cadre: User
) -> None:
    client = otp_client(security_admin)
    page = client.get(f"/accounts/users/{village_cadre.pk}/").content.decode()
    box = page.split('data-testid="reveal-grant"', 1)[1].split("</div>", 1)[0]
    assert 'name="may_reveal_personal_data"' in box
    assert "checked" not in box
    User.objects.filter(pk=village_cadre.pk).update(may_reveal_personal_data=True)
    page = client.get(f"/accounts/users/{village_cadre.pk}/").content.decode()
    box = page.split('data-testid="reveal-grant"', 1)[1].split("</div>", 1)[0]
    assert "checked" in box
    assert "每次查看都记入审计日志" in page


def test_an_admin_role_account_is_offered_no_grant(
    otp_client: OtpClient, security_admin: User, auditor: User
) -> None:
    page = otp_client(security_admin).get(f"/accounts/users/{auditor.pk}/").content.decode()
    assert "may_reveal_personal_data" not in page


def test_the_service_refuses_the_grant_to_an_admin_role(security_admin: User, auditor: User) -> None:
    with pytest.raises(ValidationError) as raised:
        services.update_user(
            user=auditor,
            by=security_admin,
            role=auditor.role,
            region=None,
            sector="",
            is_active=True,
            full_name=auditor.full_name,
            unit="",
            may_reveal_personal_data=True,
        )
    assert list(raised.value.message_dict) == ["may_reveal_personal_data"]
    auditor.refresh_from_db()
    assert auditor.may_reveal_personal_data is False
    assert security_events() == []


def test_an_edit_that_does_not_name_the_grant_keeps_it(security_admin: User, village_cadre: User) -> None:
    User.objects.filter(pk=village_cadre.pk).update(may_reveal_personal_data=True)
    village_cadre.refresh_from_db()
    services.update_user(
        user=village_cadre,
        by=security_admin,
        role=village_cadre.role,
        region=village_cadre.region,
        sector="",
        is_active=True,
        full_name="新名字",
        unit="",
    )
    village_cadre.refresh_from_db()
    assert (village_cadre.full_name, village_cadre.may_reveal_personal_data) == ("新名字", True)
    assert [e.operation for e in security_events()] == ["user_updated"]


def test_a_grant_lets_no_department_user_reveal(department_user: User) -> None:
    # Sector departments do not read the registry, so a grant gives them nothing there.
    User.objects.filter(pk=department_user.pk).update(may_reveal_personal_data=True)
    department_user.refresh_from_db()
    assert not access.can_reveal(department_user)
