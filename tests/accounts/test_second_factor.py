"""TOTP second factor: required for the three admin roles, optional for others; setup with a local QR code,
verification with a token computed by django_otp.oath.totp, throttled failures, audit events."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.models import User
from tests.accounts.flows import audit_events, current_token, post_login

pytestmark = pytest.mark.django_db

SETUP = "/accounts/second-factor/setup/"
VERIFY = "/accounts/second-factor/verify/"


def operations(user: User) -> list[str]:
    return [e.operation for e in audit_events("security", object_id=str(user.pk))]


@pytest.mark.parametrize("persona", ["auditor", "security_admin", "system_admin"])
def test_admin_role_without_device_is_sent_to_setup_after_password(
    client: Client, persona: str, password: str, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue(persona)
    response = post_login(client, persona, password)
    assert response.status_code == 302
    assert response["Location"] == SETUP
    # Every other page redirects there too until the second factor is done.
    response = client.get("/")
    assert response["Location"] == SETUP


def test_admin_role_with_device_is_sent_to_verify(client: Client, auditor: User, password: str) -> None:
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    response = post_login(client, "auditor", password)
    assert response["Location"] == VERIFY
    assert client.get("/")["Location"] == VERIFY


def test_no_page_is_offered_in_the_bar_before_the_second_factor(
    client: Client, auditor: User, password: str
) -> None:
    # Every page but the TOTP ones sends the user back until it is done: the bar offers none of them yet.
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    post_login(client, "auditor", password)
    response = client.get(VERIFY)
    assert response.status_code == 200
    assert response.context["nav_menu"] == []
    assert "/audit/" not in response.content.decode()


def test_village_cadre_needs_no_second_factor(client: Client, village_cadre: User, password: str) -> None:
    response = post_login(client, "village_cadre", password)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_setup_page_shows_a_local_qr_image_and_the_secret(client: Client, security_admin: User) -> None:
    client.force_login(security_admin)
    response = client.get(SETUP)
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=security_admin)
    assert device.confirmed is False
    qr = response.context["qr_data_uri"]
    assert qr.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(qr.split(",", 1)[1]).lstrip().startswith(b"<?xml")
    secret = base64.b32encode(bytes.fromhex(device.key)).decode().rstrip("=")
    assert response.context["secret"].replace(" ", "") == secret
    assert f'src="{qr}"' in response.content.decode()
    # Reloading the page keeps the same secret until it is confirmed.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=security_admin).count() == 1


def test_setup_is_confirmed_with_a_valid_token_and_the_session_is_verified(
    client: Client, security_admin: User
) -> None:
    client.force_login(security_admin)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=security_admin)
    response = client.post(SETUP, {"token": current_token(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/users/"
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/accounts/users/").status_code == 200
    assert operations(security_admin) == ["second_factor_enrolled"]


def test_setup_with_wrong_token_stays_unconfirmed_and_is_audited(
    client: Client, security_admin: User
) -> None:
    client.force_login(security_admin)
    client.get(SETUP)
    response = client.post(SETUP, {"token": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"token": ["动态口令不正确，请核对手机时间后重试。"]}
    assert TOTPDevice.objects.get(user=security_admin).confirmed is False
    assert operations(security_admin) == ["second_factor_failed"]


def test_setup_page_redirects_to_verify_when_a_device_is_confirmed(client: Client, auditor: User) -> None:
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    client.force_login(auditor)
    response = client.get(SETUP)
    assert response["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=auditor).count() == 1


def test_valid_totp_token_verifies_the_session(client: Client, system_admin: User, password: str) -> None:
    device = TOTPDevice.objects.create(user=system_admin, name="phone", confirmed=True)
    post_login(client, "system_admin", password)
    response = client.post(VERIFY, {"token": current_token(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/system/"
    assert client.get("/accounts/system/").status_code == 200
    assert operations(system_admin) == ["second_factor_verified"]


def test_token_with_spaces_between_groups_is_accepted(client: Client, system_admin: User) -> None:
    device = TOTPDevice.objects.create(user=system_admin, name="phone", confirmed=True)
    client.force_login(system_admin)
    token = current_token(device)
    response = client.post(VERIFY, {"token": f"{token[:3]} {token[3:]}"})
    assert response["Location"] == "/accounts/system/"


def test_verify_keeps_the_next_url(client: Client, auditor: User, password: str) -> None:
    device = TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    response = post_login(client, "auditor", password, next="/accounts/password/")
    assert response["Location"] == f"{VERIFY}?next=%2Faccounts%2Fpassword%2F"
    response = client.post(response["Location"], {"token": current_token(device)})
    assert response["Location"] == "/accounts/password/"


def test_wrong_token_is_refused_audited_and_throttled(client: Client, auditor: User) -> None:
    device = TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    client.force_login(auditor)
    response = client.post(VERIFY, {"token": "000000" if current_token(device) != "000000" else "111111"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"token": ["动态口令不正确。"]}
    # django-otp now makes the device wait before the next try, even with the right token.
    response = client.post(VERIFY, {"token": current_token(device)})
    assert response.context["form"].errors == {"token": ["验证失败次数过多，请稍后再试。"]}
    assert client.get("/")["Location"] == VERIFY
    assert operations(auditor) == ["second_factor_failed", "second_factor_failed"]
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_malformed_token_is_a_form_error(client: Client, auditor: User) -> None:
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    client.force_login(auditor)
    response = client.post(VERIFY, {"token": "12ab"})
    assert response.context["form"].errors == {"token": ["动态口令是6位数字。"]}


def test_village_cadre_may_enrol_and_is_then_asked_for_the_token(
    client: Client, village_cadre: User, password: str
) -> None:
    client.force_login(village_cadre)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=village_cadre)
    client.post(SETUP, {"token": current_token(device)})
    client.post("/accounts/logout/")
    response = post_login(client, "village_cadre", password)
    assert response["Location"] == VERIFY
    assert client.get("/")["Location"] == VERIFY


def test_unverified_pages_still_reach_logout(client: Client, auditor: User) -> None:
    client.force_login(auditor)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"


def test_htmx_request_of_unverified_admin_gets_hx_redirect(client: Client, auditor: User) -> None:
    client.force_login(auditor)
    response = client.get("/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == SETUP


def test_otp_client_fixture_is_verified(otp_client, auditor: User) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(auditor)
    response = client.get("/accounts/password/")
    assert response.status_code == 200


def test_verified_user_opening_setup_is_told_to_ask_for_a_reset(otp_client, auditor: User) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(auditor)
    response = client.get(SETUP, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "您已绑定动态口令。更换手机时，请联系服务器运维人员运行 bangfu reset-second-factor。"
    ]
    assert TOTPDevice.objects.filter(user=auditor).count() == 1


def test_unverified_admin_session_cannot_use_the_api(client: Client, auditor: User, regions: object) -> None:
    client.force_login(auditor)
    response = client.get("/api/v1/regions/610902001001")
    assert response.status_code == 401
    assert response.json() == {"code": "second_factor_required", "message": "请先在网页上完成动态口令验证。"}
