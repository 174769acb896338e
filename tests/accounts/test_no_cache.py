"""Pages that show or take a secret tell browsers and proxies to keep no copy (Cache-Control: no-store)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.models import User
from bangfu.regions.models import Region
from tests.accounts.flows import fail_logins

pytestmark = pytest.mark.django_db


def assert_not_cached(response: Any) -> None:
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "must-revalidate", "private"} <= directives, response["Cache-Control"]


def test_login_page_and_lock_page_are_not_cached(client: Client, village_cadre: User) -> None:
    assert_not_cached(client.get("/accounts/login/"))
    locked = fail_logins(client, "village_cadre", 5)[-1]
    assert locked.status_code == 429
    assert_not_cached(locked)


def test_second_factor_pages_are_not_cached(client: Client, auditor: User) -> None:
    client.force_login(auditor)
    setup = client.get("/accounts/second-factor/setup/")
    assert setup.status_code == 200
    assert_not_cached(setup)
    TOTPDevice.objects.filter(user=auditor).update(confirmed=True)
    verify = client.get("/accounts/second-factor/verify/")
    assert verify.status_code == 200
    assert_not_cached(verify)


def test_password_change_page_is_not_cached(client: Client, village_cadre: User) -> None:
    client.force_login(village_cadre)
    assert_not_cached(client.get("/accounts/password/"))


def test_temporary_password_pages_are_not_cached(
    otp_client: Callable[[User], Client],
    security_admin: User,
    village_cadre: User,
    regions: dict[str, Region],
) -> None:
    client = otp_client(security_admin)
    assert_not_cached(client.get("/accounts/users/new/"))
    created = client.post(
        "/accounts/users/new/",
        {"username": "new_cadre", "full_name": "李四", "role": "village_team", "region": "610902001001"},
    )
    assert "password" in created.context
    assert_not_cached(created)
    reset = client.post(f"/accounts/users/{village_cadre.pk}/reset-password/")
    assert "password" in reset.context
    assert_not_cached(reset)


def test_token_pages_are_not_cached(client: Client, village_cadre: User) -> None:
    client.force_login(village_cadre)
    assert_not_cached(client.get("/accounts/tokens/"))
    created = client.post("/accounts/tokens/", {"name": "脚本", "days": "30"})
    assert "issued" in created.context
    assert_not_cached(created)
