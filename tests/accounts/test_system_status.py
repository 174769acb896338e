"""The system admin's home: software and database status, no business data (三员分立)."""

from __future__ import annotations

import django
import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from bangfu.accounts.models import User

pytestmark = pytest.mark.django_db


def test_system_admin_sees_versions_migrations_and_tasks(otp_client, system_admin: User) -> None:  # type: ignore[no-untyped-def]
    response = otp_client(system_admin).get("/accounts/system/")
    assert response.status_code == 200
    context = response.context
    assert context["django_version"] == django.get_version()
    assert context["database_vendor"] == connection.vendor
    assert context["applied_migrations"] == MigrationRecorder(connection).migration_qs.count()
    assert context["pending_migrations"] == 0
    assert context["tasks"] == {"READY": 0, "RUNNING": 0, "FAILED": 0, "SUCCESSFUL": 0}
    assert "系统状态" in response.content.decode()


@pytest.mark.parametrize("persona", ["security_admin", "auditor", "city_hq", "village_cadre"])
def test_other_roles_cannot_open_the_system_page(
    otp_client, persona: str, request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    assert otp_client(user).get("/accounts/system/").status_code == 403


def test_system_admin_reads_no_business_data(system_admin: User) -> None:
    assert system_admin.reads_business_data() is False
    assert system_admin.scope_prefixes() == []
