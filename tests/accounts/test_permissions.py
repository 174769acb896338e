"""``role_required``: anonymous -> log-in, another role -> 403 page, the role -> the view."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from bangfu.accounts.models import Role, User
from bangfu.accounts.permissions import role_required

pytestmark = pytest.mark.django_db


@role_required(Role.CITY_HQ, Role.COUNTY_OFFICE)
def hq_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def request_as(user: object) -> HttpRequest:
    request = RequestFactory().get("/somewhere/?x=1")
    request.user = user  # type: ignore[assignment]
    return request


def test_allowed_role_reaches_the_view(city_hq: User, county_clerk: User) -> None:
    assert hq_page(request_as(city_hq)).content == b"ok"
    assert hq_page(request_as(county_clerk)).content == b"ok"


def test_anonymous_is_redirected_to_login_with_next() -> None:
    response = hq_page(request_as(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/somewhere/%3Fx%3D1"


def test_other_role_is_denied(village_cadre: User) -> None:
    with pytest.raises(PermissionDenied):
        hq_page(request_as(village_cadre))


def test_deactivated_user_of_the_role_is_denied(city_hq: User) -> None:
    city_hq.is_active = False
    with pytest.raises(PermissionDenied):
        hq_page(request_as(city_hq))


def test_role_required_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        role_required()


def test_denied_page_is_the_chinese_403(otp_client, village_cadre: User) -> None:  # type: ignore[no-untyped-def]
    response = otp_client(village_cadre).get("/accounts/users/")
    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
