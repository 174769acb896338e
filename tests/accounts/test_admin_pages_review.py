"""Defects found by using the accounts pages as their users would (review of the admin screens)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.models import User
from tests.accounts.flows import post_login

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/second-factor/verify/"


def test_admin_role_who_lost_the_phone_is_told_to_ask_the_server_operator(
    client: Client, auditor: User, password: str
) -> None:
    # The security admin cannot reset a 三员 device on the web (services.reset_second_factor refuses).
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    post_login(client, "auditor", password)
    page = client.get(VERIFY).content.decode()
    assert "bangfu reset-second-factor" in page
    assert "请联系安全管理员重置动态口令" not in page


def test_business_user_who_lost_the_phone_is_told_to_ask_the_security_admin(
    client: Client, village_cadre: User, password: str
) -> None:
    TOTPDevice.objects.create(user=village_cadre, name="phone", confirmed=True)
    post_login(client, "village_cadre", password)
    page = client.get(VERIFY).content.decode()
    assert "请联系安全管理员重置动态口令" in page
    assert "bangfu reset-second-factor" not in page


def test_user_form_shows_each_inspected_county_as_a_labelled_check_box(
    otp_client: object, security_admin: User, regions: object
) -> None:
    client = otp_client(security_admin)  # type: ignore[operator]
    page = client.get("/accounts/users/new/").content.decode()
    # Bootstrap lays a check box out only inside .form-check, its label beside it (not under it).
    assert page.count('<div class="form-check">') >= 1
    assert '<legend class="form-label fs-6">督查区域</legend>' in page
    assert '<label for="id_assigned_regions_0">' not in page
