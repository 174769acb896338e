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
