"""The API shell: health, JSON errors everywhere under /api/, and the committed OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from bangfu.core.management.commands.openapi import schema_text

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"


@pytest.mark.django_db
def test_health_reports_the_database() -> None:
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in {"sqlite", "postgresql"}


@pytest.mark.django_db
def test_unknown_api_path_is_json_not_html() -> None:
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "接口不存在"}


@pytest.mark.django_db
def test_missing_credentials_get_a_chinese_json_error(regions: object) -> None:
    response = Client().get("/api/v1/regions/610902001001")
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "请先登录或提供有效的API令牌"}


def test_committed_openapi_document_matches_the_code() -> None:
    """Drift check: regenerate with `bangfu openapi --output docs/api/openapi.json`."""
    assert OPENAPI_FILE.read_text(encoding="utf-8") == schema_text()


@pytest.mark.django_db
def test_served_openapi_document_is_the_committed_one() -> None:
    import json

    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_interface_is_chinese_even_for_an_english_browser_until_english_is_chosen() -> None:
    client = Client()
    chinese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert chinese["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    assert client.get("/accounts/login/")["Content-Language"] == "en"


@pytest.mark.django_db
def test_wrong_method_on_the_api_is_a_json_error() -> None:
    response = Client().post("/api/v1/health")
    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "message": "不支持该请求方法，允许：GET"}
    assert response["Allow"] == "GET"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/regions/%00/", "/regions/picker/?region=%00", "/accounts/regions/search/?region=%00", "/?q=a%00b"],
)
def test_a_nul_byte_in_a_page_request_is_a_bad_request_not_a_server_error(url: str, city_hq: object) -> None:
    from tests.permissions import client_for

    response = client_for(city_hq).get(url)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert "非法字符" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/regions/%00", "/api/v1/regions/%00/children"])
def test_a_nul_byte_in_an_api_request_is_a_json_bad_request(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "请求中含有非法字符（NUL）"}


@pytest.mark.django_db
def test_the_api_root_answers_json_too() -> None:
    response = Client().get("/api/v1/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
