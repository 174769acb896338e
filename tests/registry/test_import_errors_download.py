"""The annotated workbook of an import is the uploaded file with full ID numbers: its uploader gets it back;
anyone else in scope needs the reveal grant, and that download is recorded as a reveal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry.models import ImportRun, ImportStatus
from tests.factories import ImportRunFactory
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(settings: Any, tmp_path: Path, town_officer: User) -> ImportRun:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = Path(settings.MEDIA_ROOT) / "imports" / "annotated.xlsx"
    path.parent.mkdir(parents=True)
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_row(0, 0, ["证件号码", "错误说明"])
    book.close()
    return ImportRunFactory(
        created_by=town_officer,
        region_code="610902001000",
        status=ImportStatus.REJECTED,
        errors_file="imports/annotated.xlsx",
        error_count=1,
    )


def _reveals() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(action="reveal").values_list("actor_username", "object_type"))


def test_the_uploader_downloads_the_annotated_workbook_without_a_reveal_event(
    run: ImportRun, town_officer: User
) -> None:
    client = client_for(town_officer)
    assert "errors.xlsx" in client.get(f"/households/imports/{run.pk}/").content.decode()
    response = client.get(f"/households/imports/{run.pk}/errors.xlsx")
    assert response.status_code == 200
    assert _reveals() == []


def test_a_colleague_without_the_grant_neither_sees_the_link_nor_downloads(
    run: ImportRun, county_clerk: User
) -> None:
    client = client_for(county_clerk)
    assert "errors.xlsx" not in client.get(f"/households/imports/{run.pk}/").content.decode()
    assert client.get(f"/households/imports/{run.pk}/errors.xlsx").status_code == 403
    assert _reveals() == []


def test_a_colleague_with_the_grant_downloads_and_the_reveal_is_audited(
    run: ImportRun, county_clerk: User
) -> None:
    county_clerk.may_reveal_personal_data = True
    county_clerk.save(update_fields=["may_reveal_personal_data"])
    response = client_for(county_clerk).get(f"/households/imports/{run.pk}/errors.xlsx")
    assert response.status_code == 200
    assert _reveals() == [("county_clerk", "registry.importrun")]
