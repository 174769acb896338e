"""What the village is told when its answer is refused by the form, and the rule catalogue's conditions as
the JSON the rule form takes."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.monitoring.models import ScreeningRule, WarningStatus
from bangfu.regions.models import Region
from tests.monitoring.test_warning_pages import make_warning

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_a_too_long_answer_is_explained_and_kept(regions: dict[str, Region], village_cadre: User) -> None:
    warning = make_warning(due=timezone.localdate() + dt.timedelta(days=3), number="610902001001000021")
    reason = "户主" * 251

    response = client(village_cadre).post(
        f"/warnings/{warning.pk}/answer/", {"status": "excluded", "reason": reason}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "核查说明最多500字" in page
    assert reason in page
    assert re.search(r'value="excluded"[^>]*checked', page)
    assert 'maxlength="500"' in page
    warning.refresh_from_db()
    assert warning.status == WarningStatus.NEW


def test_the_rule_list_shows_each_condition_as_json(regions: dict[str, Region], city_hq: User) -> None:
    rule = ScreeningRule.objects.get(code="ASS-01")

    page = client(city_hq).get("/warnings/rules/").content.decode()

    shown = json.dumps(rule.condition, ensure_ascii=False).replace('"', "&quot;")
    assert shown in page
    assert "&#x27;active&#x27;: False" not in page
