"""The event detail as the auditor reads it: yes/no values in Chinese, not Python's True/False."""

from __future__ import annotations

import pytest

from bangfu.accounts.models import User
from bangfu.audit import events
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


def test_detail_shows_yes_and_no_in_chinese(auditor: User, security_admin: User, village_cadre: User) -> None:
    event = events.updated(
        actor=security_admin,
        obj=village_cadre,
        before={"is_active": True, "may_reveal_personal_data": False},
        after={"is_active": False, "may_reveal_personal_data": True},
    )

    response = client_for(auditor).get(f"/audit/{event.seq}/")

    assert [(row.key, row.before, row.after) for row in response.context["diff"]] == [
        ("is_active", "是", "否"),
        ("may_reveal_personal_data", "否", "是"),
    ]
    assert "True" not in response.content.decode()
