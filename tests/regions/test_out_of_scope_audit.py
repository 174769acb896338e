"""Asking for another region's row answers a plain 404 and leaves a security event; a typo leaves none."""

from __future__ import annotations

import pytest

from bangfu.accounts.models import User
from bangfu.accounts.tokens import create_token
from bangfu.audit.models import AuditEvent
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


def _probes() -> list[dict[str, object]]:
    return [
        {"actor": e.actor_username, **e.data["detail"]}
        for e in AuditEvent.objects.filter(operation="out_of_scope").order_by("seq")
    ]


def test_another_villages_page_is_404_and_audited(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/regions/610902001002/")
    assert response.status_code == 404
    assert _probes() == [
        {"actor": "village_cadre", "model": "regions.Region", "lookup": {"code": "610902001002"}}
    ]


def test_another_villages_api_route_is_404_and_audited(village_cadre: User) -> None:
    raw = create_token(user=village_cadre, name="脚本", by=None).raw
    response = client_for(village_cadre).get(
        "/api/v1/regions/610902001002", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _probes() == [
        {"actor": "village_cadre", "model": "regions.Region", "lookup": {"code": "610902001002"}}
    ]


def test_a_code_that_does_not_exist_is_404_without_an_event(village_cadre: User) -> None:
    assert client_for(village_cadre).get("/regions/610902001999/").status_code == 404
    assert _probes() == []
