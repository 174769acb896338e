"""Idle session time-out (30 minutes): the stored last-activity time is moved back instead of waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.middleware import LAST_ACTIVITY_SESSION_KEY
from bangfu.accounts.models import User
from tests.accounts.flows import audit_events

pytestmark = pytest.mark.django_db

IDLE_LOGIN = "/accounts/login/?reason=idle&next=%2Faccounts%2Fpassword%2F"


def idle_for(client: Client, delta: timedelta) -> None:
    session = client.session
    session[LAST_ACTIVITY_SESSION_KEY] = (timezone.now() - delta).timestamp()
    session.save()


@pytest.fixture
def cadre_client(client: Client, village_cadre: User) -> Client:
    client.force_login(village_cadre)
    return client


def test_first_request_records_activity(cadre_client: Client) -> None:
    before = timezone.now().timestamp()
    assert cadre_client.get("/accounts/password/").status_code == 200
    assert cadre_client.session[LAST_ACTIVITY_SESSION_KEY] >= before


def test_session_idle_29_minutes_is_kept(cadre_client: Client) -> None:
    cadre_client.get("/accounts/password/")
    idle_for(cadre_client, timedelta(minutes=29))
    assert cadre_client.get("/accounts/password/").status_code == 200


def test_session_idle_over_30_minutes_is_logged_out_and_sent_to_login(
    cadre_client: Client, village_cadre: User
) -> None:
    cadre_client.get("/accounts/password/")
    idle_for(cadre_client, timedelta(minutes=30, seconds=1))
    response = cadre_client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"] == IDLE_LOGIN
    assert "_auth_user_id" not in cadre_client.session
    [event] = audit_events("logout")
    assert event.actor_id == village_cadre.pk


def test_login_page_after_idle_logout_explains_in_chinese(cadre_client: Client) -> None:
    cadre_client.get("/accounts/password/")
    idle_for(cadre_client, timedelta(minutes=31))
    response = cadre_client.get("/accounts/password/", follow=True)
    assert "您已超过30分钟未操作，已自动退出，请重新登录。" in response.content.decode()


def test_htmx_request_after_idle_gets_hx_redirect(cadre_client: Client) -> None:
    cadre_client.get("/accounts/password/")
    idle_for(cadre_client, timedelta(minutes=31))
    response = cadre_client.get("/accounts/password/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?reason=idle"
    assert "_auth_user_id" not in cadre_client.session


def test_idle_session_on_the_api_is_logged_out_and_the_call_goes_on_anonymous(
    cadre_client: Client, regions: object
) -> None:
    cadre_client.get("/accounts/password/")
    idle_for(cadre_client, timedelta(minutes=31))
    response = cadre_client.get("/api/v1/regions/610902001001")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert "_auth_user_id" not in cadre_client.session
    assert len(audit_events("logout")) == 1


def test_token_requests_to_the_api_carry_no_session_and_pass(client: Client, db: None) -> None:
    assert client.get("/api/v1/health").status_code == 200
    assert LAST_ACTIVITY_SESSION_KEY not in client.session


def test_activity_is_refreshed_at_most_once_a_minute(cadre_client: Client) -> None:
    cadre_client.get("/accounts/password/")
    idle_for(cadre_client, timedelta(seconds=30))
    stored = cadre_client.session[LAST_ACTIVITY_SESSION_KEY]
    cadre_client.get("/accounts/password/")
    assert cadre_client.session[LAST_ACTIVITY_SESSION_KEY] == stored
    idle_for(cadre_client, timedelta(seconds=61))
    cadre_client.get("/accounts/password/")
    assert cadre_client.session[LAST_ACTIVITY_SESSION_KEY] > stored


def test_anonymous_requests_are_untouched(client: Client, db: None) -> None:
    assert client.get("/accounts/login/").status_code == 200
    assert LAST_ACTIVITY_SESSION_KEY not in client.session
