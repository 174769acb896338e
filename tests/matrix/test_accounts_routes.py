"""The accounts pages not in the matrices of tests/accounts/: a user's own password and TOTP pages, the
security admin's pages about one user (edit, unlock, reset password, reset TOTP), a token revoked by its
owner.

The user acted on is a village team member of 东关村. Accounts are not region-scoped data (三员分立: the
security admin manages every account, nobody else any), so nobody gets 404 on the user pages: everyone else
gets 403 and the account stays exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts import lockouts
from bangfu.accounts.models import ApiToken, Role, User
from bangfu.accounts.tokens import create_token
from bangfu.regions.models import Region
from tests.accounts.flows import WRONG_PASSWORD, fail_logins
from tests.factories import UserFactory
from tests.permissions import (
    ADMIN_PERSONAS,
    ALL_PERSONAS,
    BUSINESS_PERSONAS,
    VILLAGE,
    PermissionMatrix,
    Route,
)

pytestmark = pytest.mark.django_db

SECURITY_ADMIN = frozenset({"security_admin"})
TARGET = "dongguan_member"


def make_target() -> Mapping[str, object]:
    """A village team member of 东关村 with a confirmed TOTP device (voluntary)."""
    user = UserFactory.create(
        username=TARGET,
        role=Role.VILLAGE_TEAM,
        region=Region.objects.get(code=VILLAGE),
        full_name="东关村队员",
    )
    TOTPDevice.objects.create(user=user, name="手机", confirmed=True)
    return {"pk": user.pk}


def make_locked_target() -> Mapping[str, object]:
    """The same member, locked out by five wrong passwords on the real log-in page."""
    made = make_target()
    fail_logins(Client(), TARGET, 5)
    return made


def target_account() -> tuple[Any, ...]:
    return tuple(
        User.objects.filter(username=TARGET)
        .values_list("full_name", "unit", "role", "region_id", "sector", "is_active")
        .get()
    )


def target_password() -> tuple[str, bool]:
    return User.objects.filter(username=TARGET).values_list("password", "must_change_password").get()


def target_lock() -> tuple[bool, int]:
    return lockouts.is_locked(TARGET), AccessAttempt.objects.filter(username=TARGET).count()


def target_devices() -> list[tuple[str, bool]]:
    return list(TOTPDevice.objects.filter(user__username=TARGET).values_list("name", "confirmed"))


def every_password() -> list[tuple[str, str]]:
    return list(User.objects.order_by("username").values_list("username", "password"))


def confirmed_devices() -> int:
    return TOTPDevice.objects.filter(confirmed=True).count()


# The TOTP pages send on anyone with nothing to do there: admins (enrolled and verified) from set-up
# to their home, business users without a device from verification onward.
REDIRECT_ADMINS = dict.fromkeys(ADMIN_PERSONAS, 302)
REDIRECT_BUSINESS = dict.fromkeys(BUSINESS_PERSONAS, 302)
NEW_PASSWORD = "Neues-Kennwort-2026"


class TestOwnAccountPages(PermissionMatrix):
    """Every logged-in user reaches their own password and TOTP pages; anonymous visitors log in first."""

    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/accounts/password/", allowed=ALL_PERSONAS),
        # A wrong current password: the form again (200) for everyone, and no password changes.
        Route(
            "/accounts/password/",
            method="post",
            data={
                "old_password": WRONG_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
            allowed=ALL_PERSONAS,
            state=every_password,
        ),
        Route("/accounts/second-factor/setup/", allowed=BUSINESS_PERSONAS, statuses=REDIRECT_ADMINS),
        Route(
            "/accounts/second-factor/setup/",
            method="post",
            data={"token": "000000"},
            allowed=BUSINESS_PERSONAS,
            statuses=REDIRECT_ADMINS,
            state=confirmed_devices,
        ),
        Route("/accounts/second-factor/verify/", allowed=ADMIN_PERSONAS, statuses=REDIRECT_BUSINESS),
    ]


class TestUserPages(PermissionMatrix):
    """Only the security admin opens or changes one user's account; other requests change nothing."""

    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/accounts/users/{pk}/", allowed=SECURITY_ADMIN, setup=make_target),
        Route(
            "/accounts/users/{pk}/",
            method="post",
            data={"full_name": "改名", "role": "town", "region": "610902001000", "is_active": "on"},
            allowed=SECURITY_ADMIN,
            ok_status=302,
            setup=make_target,
            state=target_account,
        ),
        Route(
            "/accounts/users/{pk}/unlock/",
            method="post",
            allowed=SECURITY_ADMIN,
            ok_status=302,
            setup=make_locked_target,
            state=target_lock,
        ),
        Route(
            "/accounts/users/{pk}/reset-password/",
            method="post",
            allowed=SECURITY_ADMIN,
            setup=make_target,
            state=target_password,
        ),
        Route(
            "/accounts/users/{pk}/reset-second-factor/",
            method="post",
            allowed=SECURITY_ADMIN,
            ok_status=302,
            setup=make_target,
            state=target_devices,
        ),
        # The list's search fragment (htmx) finds the account for the security admin only.
        Route(
            "/accounts/users/?q=东关村",
            allowed=SECURITY_ADMIN,
            htmx=True,
            setup=make_target,
            marker=TARGET,
            shown_to=SECURITY_ADMIN,
        ),
    ]


def owned_token() -> Mapping[str, object]:
    """An API token of the village cadre of 东关村: its owner alone may revoke it."""
    owner = UserFactory.create(
        username="village_cadre",
        role=Role.VILLAGE_TEAM,
        region=Region.objects.get(code=VILLAGE),
        full_name="village_cadre",
    )
    return {"pk": create_token(user=owner, name="东关村对接脚本", by=owner).token.pk}


def token_rows() -> list[tuple[Any, ...]]:
    return list(ApiToken.objects.order_by("pk").values_list("user__username", "name", "revoked_at"))


class TestTokenRevokedByItsOwner(PermissionMatrix):
    """tests/accounts/test_api_tokens.py checks a token nobody among the personas owns; here its owner, the
    village cadre, revokes it, and every other business user is told it does not exist."""

    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/accounts/tokens/{pk}/revoke/",
            method="post",
            allowed=frozenset({"village_cadre"}),
            outside=BUSINESS_PERSONAS - {"village_cadre"},
            ok_status=302,
            setup=owned_token,
            state=token_rows,
        ),
    ]


def test_the_allowed_writes_did_change_the_account(
    otp_client: Callable[[User], Client], security_admin: User, regions: dict[str, Region]
) -> None:
    """The matrix's states really move when the security admin acts (a state that never changes would
    make every denial pass)."""
    pk = make_locked_target()["pk"]
    client = otp_client(security_admin)
    before = (target_account(), target_lock(), target_password(), target_devices())
    client.post(f"/accounts/users/{pk}/", TestUserPages.routes[1].data)
    client.post(f"/accounts/users/{pk}/unlock/")
    client.post(f"/accounts/users/{pk}/reset-password/")
    client.post(f"/accounts/users/{pk}/reset-second-factor/")
    after = (target_account(), target_lock(), target_password(), target_devices())
    assert [b != a for b, a in zip(before, after, strict=True)] == [True, True, True, True]
    assert after[1] == (False, 0)
    assert after[3] == []
