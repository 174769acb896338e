"""Error pages in Chinese: 400, 403, 404, 500 and the CSRF failure page.

The 403/404 pages use the full shell; 400, 500 and the CSRF page are rendered by Django without the request,
so they must render from nothing but static files and translations.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from bangfu.accounts.models import User
from bangfu.core import views
from bangfu.urls import urlpatterns as site_urlpatterns
from tests.core.test_shell import page_title
from tests.permissions import client_for


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("您的角色无权访问此页面。")


def _forbidden_without_message(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# The real site plus pages that fail on purpose (used with @pytest.mark.urls(__name__)).
urlpatterns = [
    *site_urlpatterns,
    path("_forbidden/", _forbidden),
    path("_forbidden-plain/", _forbidden_without_message),
    path("_broken/", _broken),
]
handler403 = "bangfu.core.views.permission_denied"
handler404 = "bangfu.core.views.page_not_found"
handler500 = "bangfu.core.views.server_error"


def test_unknown_page_gets_the_chinese_404_page_inside_the_shell(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in html
    assert page_title(html) == "页面不存在 · 帮扶"
    assert "您要找的页面不存在，或者不在您的管辖范围内。" in html
    assert "<code>/no-such-page/</code>" in html
    assert 'data-testid="user-role">驻村工作队</span>' in html


@pytest.mark.django_db
def test_anonymous_visitor_gets_the_404_page_without_user_box() -> None:
    html = Client().get("/no-such-page/").content.decode()
    assert "页面不存在（404）" in html
    assert "退出登录" not in html


@pytest.mark.django_db
def test_404_page_escapes_the_requested_path() -> None:
    html = Client().get("/<script>x</script>/").content.decode()
    assert "<code>/&lt;script&gt;x&lt;/script&gt;/</code>" in html


@pytest.mark.urls(__name__)
def test_permission_denied_gets_the_chinese_403_page_with_its_reason(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/_forbidden/")
    html = response.content.decode()
    assert response.status_code == 403
    assert page_title(html) == "无权访问 · 帮扶"
    assert "您的账号没有访问此页面的权限。" in html
    assert '<p class="text-body-secondary" data-testid="error-detail">您的角色无权访问此页面。</p>' in html


@pytest.mark.urls(__name__)
def test_403_page_without_a_reason_shows_no_empty_detail(village_cadre: User) -> None:
    html = client_for(village_cadre).get("/_forbidden-plain/").content.decode()
    assert "您的账号没有访问此页面的权限。" in html
    assert 'data-testid="error-detail"' not in html


@pytest.mark.urls(__name__)
def test_unhandled_error_gets_the_chinese_500_page(village_cadre: User) -> None:
    client = client_for(village_cadre)
    client.raise_request_exception = False
    response = client.get("/_broken/")
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in html
    assert page_title(html) == "服务器出错 · 帮扶"
    assert "系统处理您的请求时出错，您刚才的操作可能没有完成。" in html
    assert "a bug" not in html
    assert "village_cadre" not in html


def test_500_page_renders_from_a_bare_request_without_user_session_or_database() -> None:
    # No ``db`` fixture: any database query here would fail the test.
    response = views.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错（500）" in html
    assert 'href="/static/vendor/bootstrap/bootstrap.min.css"' in html
    assert '<a class="btn btn-primary" href="/">返回首页</a>' in html


@pytest.mark.django_db
def test_request_for_an_unknown_host_gets_the_chinese_400_page() -> None:
    response = Client().get("/", HTTP_HOST="attacker.invalid")
    assert response.status_code == 400
    assert "请求有误（400）" in response.content.decode()


def test_form_posted_without_csrf_token_gets_the_chinese_csrf_page(village_cadre: User) -> None:
    client = client_for(village_cadre)
    client.handler.enforce_csrf_checks = True
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期，请重新提交（403）" in html
    assert "请返回上一页，刷新后再提交一次。" in html
