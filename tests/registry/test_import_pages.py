"""The upload page, the import run's page (progress polled by htmx, then every problem located) and the
annotated workbook; the household export. The background task runs at once here: the test settings use
django-tasks' immediate backend, and the upload enqueues it when the transaction commits."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry import services
from bangfu.registry.models import Household, ImportRun, ImportStatus
from tests.factories import ImportRunFactory, synthetic_id_number
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

DONGGUAN = "610902001001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAD_ID = synthetic_id_number(birth=date(1970, 1, 2), sex="male", serial=1)
WIFE_ID = synthetic_id_number(birth=date(1972, 1, 2), sex="female", serial=2)
HEADERS = ["户编号", "行政区划代码", "姓名", "证件号码", "与户主关系", "工资性收入"]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def workbook(*rows: list[Any]) -> bytes:
    """A first sheet with a title row above the header, as the national system exports it."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("农户信息")
    sheet.write_row(0, 0, ["2025年农户信息表"])
    sheet.write_row(1, 0, HEADERS)
    for number, row in enumerate(rows, start=2):
        sheet.write_row(number, 0, row)
    book.close()
    return out.getvalue()


GOOD = workbook(
    ["A1", DONGGUAN, "张三", HEAD_ID, "户主", "12,000元"],
    ["A1", DONGGUAN, "李四", WIFE_ID, "妻", ""],
)
# 李四's ID number lost its last digit: one error, located at row 4, column D.
BAD = workbook(
    ["A1", DONGGUAN, "张三", HEAD_ID, "户主", "12,000元"],
    ["A1", DONGGUAN, "李四", WIFE_ID[:-1], "妻", ""],
)


def upload(content: bytes, name: str = "农户信息.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


@pytest.fixture
def run_upload(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Any]:
    """POST an upload and run the queued import task as the request's transaction commits."""

    def post(client: Client, content: bytes, **data: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/households/imports/", {"file": upload(content), **data})

    return post


def text(response: Any) -> str:
    return str(response.content.decode())


def content_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


class TestUpload:
    def test_the_page_offers_the_upload_with_its_size_limit(self, county_clerk: User) -> None:
        page = text(client_for(county_clerk).get("/households/imports/"))
        assert 'enctype="multipart/form-data"' in page
        assert "不超过 50 MB" in page

    def test_uploading_nothing_asks_for_a_file(self, county_clerk: User) -> None:
        response = client_for(county_clerk).post("/households/imports/", {"dry_run": "on"})
        assert response.status_code == 200
        assert response.context["form"].errors == {"file": ["请选择要上传的文件。"]}

    def test_a_file_that_is_not_a_workbook_is_refused_in_chinese(self, county_clerk: User) -> None:
        response = client_for(county_clerk).post(
            "/households/imports/", {"file": SimpleUploadedFile("名单.csv", b"a,b\n1,2\n")}
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "file": ["只能上传 Excel 工作簿（.xlsx 或 .xls），“名单.csv”不是。"]
        }
        assert ImportRun.objects.count() == 0

    def test_a_renamed_file_is_refused_by_its_content(self, county_clerk: User) -> None:
        response = client_for(county_clerk).post("/households/imports/", {"file": upload(b"not a workbook")})
        assert response.context["form"].errors == {
            "file": ["“农户信息.xlsx”的内容不是 Excel 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后再上传。"]
        }
        assert ImportRun.objects.count() == 0

    def test_a_file_over_the_limit_is_refused(self, county_clerk: User, settings: Any) -> None:
        settings.BANGFU_IMPORT_MAX_MB = 1
        big = b"PK\x03\x04" + b"\0" * (1024 * 1024)
        response = client_for(county_clerk).post("/households/imports/", {"file": upload(big)})
        assert response.context["form"].errors == {"file": ["文件超过 1 MB，请按乡镇拆分后分别上传。"]}
        assert ImportRun.objects.count() == 0

    def test_a_good_workbook_is_imported_and_the_run_page_shows_the_result(
        self, county_clerk: User, run_upload: Callable[..., Any]
    ) -> None:
        client = client_for(county_clerk)
        response = run_upload(client, GOOD)
        run = ImportRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/households/imports/{run.pk}/"
        assert (run.status, run.region_code, run.created_by_id, run.file_name) == (
            ImportStatus.SUCCEEDED,
            "610902000000",
            county_clerk.pk,
            "农户信息.xlsx",
        )
        household = Household.objects.get(household_number="A1")
        assert sorted(household.members.values_list("name", flat=True)) == ["张三", "李四"]
        detail = client.get(response["Location"])
        page = text(detail)
        assert "导入成功：共 2 行。" in page
        assert ("新增农户", 1) in detail.context["summary_items"]
        assert 'hx-trigger="every 1s"' not in page
        assert 'value="100"' in page

    def test_a_dry_run_writes_nothing(self, county_clerk: User, run_upload: Callable[..., Any]) -> None:
        run_upload(client_for(county_clerk), GOOD, dry_run="on")
        assert ImportRun.objects.get().status == ImportStatus.CHECKED
        assert Household.objects.count() == 0

    def test_problems_are_listed_by_sheet_row_and_column_with_the_annotated_workbook(
        self, county_clerk: User, run_upload: Callable[..., Any]
    ) -> None:
        client = client_for(county_clerk)
        response = run_upload(client, BAD)
        run = ImportRun.objects.get()
        assert (run.status, run.error_count) == (ImportStatus.REJECTED, 1)
        assert Household.objects.count() == 0
        detail = client.get(response["Location"])
        (problem,) = list(detail.context["problems"])
        assert (problem["sheet"], problem["row"], problem["column"], problem["level"]) == (
            "农户信息",
            4,
            "D",
            "error",
        )
        page = text(detail)
        assert problem["message"] in page
        assert "发现 1 个错误，未写入任何数据。" in page
        assert f'href="/households/imports/{run.pk}/errors.xlsx"' in page
        download = client.get(f"/households/imports/{run.pk}/errors.xlsx")
        assert download["Content-Type"] == XLSX
        assert "attachment" in download["Content-Disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(content_of(download))).active
        header = [cell.value for cell in sheet[2]]
        assert header[-1] == "错误说明"
        assert problem["message"] in str(sheet.cell(row=4, column=len(header)).value)


class TestProgress:
    def test_a_running_import_polls_its_progress_every_second(self, county_clerk: User) -> None:
        run = ImportRunFactory(
            created_by=county_clerk, status=ImportStatus.RUNNING, total_rows=200, processed_rows=50
        )
        response = client_for(county_clerk).get(
            f"/households/imports/{run.pk}/", headers={"HX-Request": "true"}
        )
        page = text(response)
        assert response.templates[0].name == "registry/_import_progress.html"
        assert "<html" not in page
        assert f'hx-get="/households/imports/{run.pk}/" hx-trigger="every 1s"' in page
        assert 'value="25"' in page
        assert "已处理 50 / 200 行" in page

    def test_a_finished_import_stops_polling_and_shows_its_problems(self, county_clerk: User) -> None:
        problems = [
            {
                "sheet": "Sheet1",
                "row": row,
                "column": "D",
                "level": "error",
                "message": f"第{row}行证件号码有误",
            }
            for row in range(2, 152)
        ]
        run = ImportRunFactory(
            created_by=county_clerk,
            status=ImportStatus.REJECTED,
            total_rows=150,
            processed_rows=150,
            problems=problems,
            error_count=150,
        )
        client = client_for(county_clerk)
        fragment = text(client.get(f"/households/imports/{run.pk}/", headers={"HX-Request": "true"}))
        assert "hx-trigger" not in fragment
        assert "第2行证件号码有误" in fragment
        second = client.get(f"/households/imports/{run.pk}/?page=2")
        assert [p["row"] for p in second.context["problems"]] == list(range(102, 152))
        assert "第 2 / 2 页" in text(second)

    def test_a_run_is_seen_by_the_scope_that_holds_it_and_by_its_creator(
        self, county_clerk: User, town_officer: User, other_county_clerk: User
    ) -> None:
        county_run = ImportRunFactory(created_by=county_clerk, region_code="610902000000")
        town_run = ImportRunFactory(created_by=town_officer, region_code="610902001000")
        assert client_for(town_officer).get(f"/households/imports/{county_run.pk}/").status_code == 404
        assert client_for(county_clerk).get(f"/households/imports/{town_run.pk}/").status_code == 200
        assert client_for(other_county_clerk).get(f"/households/imports/{town_run.pk}/").status_code == 404
        listed = client_for(town_officer).get("/households/imports/").context["runs"]
        assert [run.pk for run in listed] == [town_run.pk]


class TestExport:
    @pytest.fixture
    def household(self, town_officer: User) -> Household:
        return services.create_household(
            by=town_officer,
            values={"region_code": DONGGUAN, "household_number": "610902001001000001"},
            members=[{"name": "王建国", "id_number": HEAD_ID, "relation": "head"}],
            on=timezone.localdate(),
        )

    def cells(self, response: Any) -> Iterator[Any]:
        sheet = openpyxl.load_workbook(io.BytesIO(content_of(response))).active
        for row in sheet.iter_rows(values_only=True):
            yield from row

    def test_the_export_is_a_masked_workbook_and_is_audited(
        self, household: Household, county_clerk: User
    ) -> None:
        client = client_for(county_clerk)
        assert "完整证件号码" not in text(client.get("/households/export/"))
        response = client.post("/households/export/", {"region": DONGGUAN, "reveal": "on"})
        assert response.status_code == 200
        today = timezone.localdate()
        assert response["Content-Type"] == XLSX
        assert f"{DONGGUAN}_{today:%Y%m%d}.xlsx" in response["Content-Disposition"]
        values = set(self.cells(response))
        assert HEAD_ID[:6] + "********" + HEAD_ID[-4:] in values
        assert HEAD_ID not in values
        event = AuditEvent.objects.get(action="export")
        assert (event.actor_id, event.region_code, event.data["count"]) == (county_clerk.pk, DONGGUAN, 1)

    def test_a_holder_of_the_reveal_grant_may_export_full_numbers(
        self, household: Household, county_clerk: User
    ) -> None:
        county_clerk.may_reveal_personal_data = True
        county_clerk.save()
        client = client_for(county_clerk)
        assert "完整证件号码" in text(client.get("/households/export/"))
        response = client.post("/households/export/", {"region": DONGGUAN, "reveal": "on"})
        assert HEAD_ID in set(self.cells(response))

    def test_a_region_outside_the_scope_is_refused(
        self, household: Household, other_county_clerk: User
    ) -> None:
        response = client_for(other_county_clerk).post("/households/export/", {"region": DONGGUAN})
        assert response.status_code == 400
        assert response.context["form"].errors == {"region": ["所选区域不存在，或不在您的管辖范围内。"]}
        assert not AuditEvent.objects.filter(action="export").exists()
