"""Log-in, log-out and lock-out (等保三级): Chinese messages, django-axes keyed by username, audit events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone

from bangfu.accounts import lockouts
from bangfu.accounts.models import User
from bangfu.accounts.views import locked_out
from tests.accounts.flows import LOGIN_URL, WRONG_PASSWORD, audit_events, fail_logins, post_login

pytestmark = pytest.mark.django_db

LOCK_MESSAGE = "账号已锁定，请15分钟后再试"


def test_login_page_is_in_chinese(client: Client) -> None:
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "登录帮扶平台" in text
    assert "用户名" in text
    assert "连续输错密码5次，账号将锁定15分钟" in text


def test_village_cadre_logs_in_and_lands_on_home(client: Client, village_cadre: User, password: str) -> None:
    response = post_login(client, "village_cadre", password)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(village_cadre.pk)


def test_successful_login_writes_one_login_event(client: Client, village_cadre: User, password: str) -> None:
    post_login(client, "village_cadre", password)
    [event] = audit_events("login")
    assert event.actor_id == village_cadre.pk
    assert event.actor_username == "village_cadre"
    assert event.region_code == "610902001001"
    assert event.ip == "127.0.0.1"


def test_wrong_password_says_only_that_username_or_password_is_wrong(
    client: Client, village_cadre: User
) -> None:
    response = post_login(client, "village_cadre", WRONG_PASSWORD)
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_username_gets_the_same_message_as_a_wrong_password(client: Client, db: None) -> None:
    response = post_login(client, "nobody", WRONG_PASSWORD)
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_inactive_user_cannot_log_in_and_gets_the_generic_message(
    client: Client, village_cadre: User, password: str
) -> None:
    village_cadre.is_active = False
    village_cadre.save()
    response = post_login(client, "village_cadre", password)
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_login_writes_login_failed_event_with_reason(client: Client, village_cadre: User) -> None:
    post_login(client, "village_cadre", WRONG_PASSWORD)
    [event] = audit_events("login_failed")
    assert event.actor_username == "village_cadre"
    assert event.actor_id is None
    assert event.data == {"reason": "bad_credentials"}


def test_fifth_wrong_password_locks_the_account_with_429_and_chinese_message(
    client: Client, village_cadre: User
) -> None:
    responses = fail_logins(client, "village_cadre", 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert LOCK_MESSAGE in responses[-1].content.decode()
    assert lockouts.is_locked("village_cadre")


def test_locked_account_refuses_even_the_right_password(
    client: Client, village_cadre: User, password: str
) -> None:
    fail_logins(client, "village_cadre", 5)
    response = post_login(client, "village_cadre", password)
    assert response.status_code == 429
    assert LOCK_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert audit_events("login") == []


def test_lockout_is_by_username_whatever_the_address(village_cadre: User, password: str) -> None:
    for n in range(5):
        post_login(Client(REMOTE_ADDR=f"10.0.0.{n + 1}"), "village_cadre", WRONG_PASSWORD)
    response = post_login(Client(REMOTE_ADDR="10.0.0.99"), "village_cadre", password)
    assert response.status_code == 429


def test_lockout_of_one_account_leaves_others_able_to_log_in(
    client: Client, village_cadre: User, town_officer: User, password: str
) -> None:
    fail_logins(client, "village_cadre", 5)
    response = post_login(client, "town_officer", password)
    assert response.status_code == 302


def test_lock_writes_account_locked_event_once_and_failures_during_lock_say_locked_out(
    client: Client, village_cadre: User, password: str
) -> None:
    fail_logins(client, "village_cadre", 5)
    post_login(client, "village_cadre", password)
    locks = [e for e in audit_events("security") if e.operation == "account_locked"]
    assert len(locks) == 1
    assert locks[0].object_id == str(village_cadre.pk)
    assert locks[0].data == {"detail": {"username": "village_cadre", "failures": 5}}
    reasons = [e.data["reason"] for e in audit_events("login_failed")]
    assert reasons == ["bad_credentials"] * 5 + ["locked_out"]


def test_lock_ends_fifteen_minutes_after_the_last_failure(
    client: Client, village_cadre: User, password: str
) -> None:
    fail_logins(client, "village_cadre", 5)
    # Time travel: age the recorded attempts instead of sleeping.
    AccessAttempt.objects.filter(username="village_cadre").update(
        attempt_time=timezone.now() - timedelta(minutes=15, seconds=1)
    )
    assert not lockouts.is_locked("village_cadre")
    response = post_login(client, "village_cadre", password)
    assert response.status_code == 302


def test_lock_still_holds_just_under_fifteen_minutes(
    client: Client, village_cadre: User, password: str
) -> None:
    fail_logins(client, "village_cadre", 5)
    AccessAttempt.objects.filter(username="village_cadre").update(
        attempt_time=timezone.now() - timedelta(minutes=14, seconds=30)
    )
    response = post_login(client, "village_cadre", password)
    assert response.status_code == 429


def test_four_failures_then_success_clears_the_count(
    client: Client, village_cadre: User, password: str
) -> None:
    fail_logins(client, "village_cadre", 4)
    post_login(client, "village_cadre", password)
    client.post("/accounts/logout/")
    responses = fail_logins(client, "village_cadre", 4)
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert not lockouts.is_locked("village_cadre")


def test_lockout_callable_takes_axes_8_arguments_and_renders_429(db: None) -> None:
    request = RequestFactory().post(LOGIN_URL, {"username": "someone"})
    response = locked_out(request, None, {"username": "someone"})
    assert response.status_code == 429
    text = response.content.decode()
    assert LOCK_MESSAGE in text
    assert 'value="someone"' in text


def test_login_follows_a_local_next_url(client: Client, village_cadre: User, password: str) -> None:
    response = post_login(client, "village_cadre", password, next="/accounts/password/")
    assert response["Location"] == "/accounts/password/"


def test_login_refuses_an_offsite_next_url(client: Client, village_cadre: User, password: str) -> None:
    response = post_login(client, "village_cadre", password, next="https://evil.example/")
    assert response["Location"] == "/"


def test_logout_needs_post_and_writes_logout_event(client: Client, village_cadre: User) -> None:
    client.force_login(village_cadre)
    assert client.get("/accounts/logout/").status_code == 200
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session
    [event] = audit_events("logout")
    assert event.actor_id == village_cadre.pk


def test_anonymous_logout_writes_nothing(client: Client, db: None) -> None:
    client.post("/accounts/logout/")
    assert audit_events("logout") == []


def test_empty_login_form_names_the_fields(client: Client, db: None) -> None:
    response = client.post(LOGIN_URL, {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["这个字段是必填项。"],
        "password": ["这个字段是必填项。"],
    }
    assert audit_events("login_failed") == []
