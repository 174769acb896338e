"""Steps the accounts tests share: posting the log-in form, the current TOTP token of a device, audit rows."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.audit.models import AuditEvent

LOGIN_URL = "/accounts/login/"
WRONG_PASSWORD = "Wrong-password-1"


def post_login(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def fail_logins(client: Client, username: str, times: int) -> list[Any]:
    """``times`` wrong passwords for ``username`` through the real log-in page; the responses."""
    return [post_login(client, username, WRONG_PASSWORD) for _ in range(times)]


def current_token(device: TOTPDevice) -> str:
    """The token an authenticator app shows right now for ``device``."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{value:0{device.digits}d}"


def audit_events(action: str, **filters: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))
