"""Two ways around the lock-out, closed: guesses sent in parallel (the right one must not win once the
others have locked the account), and the change-password page's current-password check (counted like
failed log-ins, so an open session cannot guess the password without limit)."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from bangfu.accounts import lockouts
from bangfu.accounts.models import User
from tests.accounts.flows import WRONG_PASSWORD, audit_events, post_login

pytestmark = pytest.mark.django_db

LOCK_MESSAGE = "账号已锁定，请15分钟后再试"
PASSWORD_URL = "/accounts/password/"
NEW_PASSWORD = "Brand-new-pass-1"


def record_failures(username: str, failures: int, *, address: str = "10.0.0.9") -> None:
    """What django-axes writes for ``failures`` wrong passwords from one address (other requests)."""
    AccessAttempt.objects.create(
        username=username,
        ip_address=address,
        user_agent="parallel guesser",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=failures,
        attempt_time=timezone.now(),
    )


class ParallelGuessesBackend(ModelBackend):
    """Stands for the other requests of a parallel guess: their five failures are recorded while this
    request's (right) password is being checked, after axes let it through."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and username is not None:
            record_failures(username, 5)
        return user


# --- parallel guesses --------------------------------------------------------------------------------------


def test_right_password_after_five_recorded_failures_is_refused_with_the_lock_message(
    client: Client, village_cadre: User, password: str
) -> None:
    record_failures("village_cadre", 5)
    response = post_login(client, "village_cadre", password)
    assert response.status_code == 429
    assert LOCK_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert audit_events("login") == []


def test_right_password_is_refused_when_parallel_guesses_lock_the_account_meanwhile(
    client: Client, village_cadre: User, password: str, settings: Settings
) -> None:
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        f"{__name__}.ParallelGuessesBackend",
    ]
    response = post_login(client, "village_cadre", password)
    assert response.status_code == 429
    assert LOCK_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert audit_events("login") == []
    assert [e.data["reason"] for e in audit_events("login_failed")] == ["locked_out"]
    # The refused log-in did not reset the count, as a successful one would.
    assert lockouts.is_locked("village_cadre")


def test_successful_logins_leave_no_axes_access_log(
    client: Client, village_cadre: User, password: str
) -> None:
    """The audit trail records log-ins; axes' access log would be a second, unchained copy."""
    assert post_login(client, "village_cadre", password).status_code == 302
    assert AccessLog.objects.count() == 0
    assert len(audit_events("login")) == 1


# --- the change-password page ------------------------------------------------------------------------------


def change_password(client: Client, old: str) -> Any:
    return client.post(
        PASSWORD_URL, {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )


def test_wrong_current_password_is_counted_and_audited(
    client: Client, village_cadre: User, password: str
) -> None:
    client.force_login(village_cadre)
    response = change_password(client, WRONG_PASSWORD)
    assert response.status_code == 200
    assert response.context["form"].errors == {"old_password": ["当前密码不正确。"]}
    [attempt] = AccessAttempt.objects.filter(username="village_cadre")
    assert attempt.failures_since_start == 1
    # Neither the guessed nor the new password is stored with the attempt.
    assert WRONG_PASSWORD not in attempt.post_data
    assert NEW_PASSWORD not in attempt.post_data
    [event] = audit_events("login_failed")
    assert (event.actor_username, event.data) == ("village_cadre", {"reason": "wrong_old_password"})
    village_cadre.refresh_from_db()
    assert village_cadre.check_password(password)


def test_five_wrong_current_passwords_lock_the_account_and_end_the_session(
    client: Client, village_cadre: User, password: str
) -> None:
    client.force_login(village_cadre)
    responses = [change_password(client, WRONG_PASSWORD) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert LOCK_MESSAGE in responses[-1].content.decode()
    assert lockouts.is_locked("village_cadre")
    assert "_auth_user_id" not in client.session
    assert [e.data["reason"] for e in audit_events("login_failed")] == ["wrong_old_password"] * 5
    locks = [e for e in audit_events("security") if e.operation == "account_locked"]
    assert [e.data for e in locks] == [{"detail": {"username": "village_cadre", "failures": 5}}]
    # Locked: not even the right password logs in now.
    assert post_login(Client(), "village_cadre", password).status_code == 429
    village_cadre.refresh_from_db()
    assert village_cadre.check_password(password)


def test_right_current_password_of_a_locked_account_changes_nothing(
    client: Client, village_cadre: User, password: str
) -> None:
    client.force_login(village_cadre)
    record_failures("village_cadre", 5)
    response = change_password(client, password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    village_cadre.refresh_from_db()
    assert village_cadre.check_password(password)
    assert [e.operation for e in audit_events("security")] == []


def test_empty_current_password_is_not_counted(client: Client, village_cadre: User) -> None:
    client.force_login(village_cadre)
    response = change_password(client, "")
    assert response.context["form"].errors == {"old_password": ["这个字段是必填项。"]}
    assert AccessAttempt.objects.count() == 0
    assert audit_events("login_failed") == []


def test_right_current_password_still_changes_it(client: Client, village_cadre: User, password: str) -> None:
    client.force_login(village_cadre)
    change_password(client, WRONG_PASSWORD)
    response = change_password(client, password)
    assert response.status_code == 302
    village_cadre.refresh_from_db()
    assert village_cadre.check_password(NEW_PASSWORD)
    assert "_auth_user_id" in client.session
