"""The clearance poster for the village wall (上墙) prints through the browser: on A4 and on A3 it is exactly
one page, with the Chinese title, the counts by colour and the QR code of the live board drawn; nothing is
fetched from another host."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize

from bangfu.accounts.models import User
from bangfu.rectification.public_views import POSTER_ROWS
from tests.factories import HouseholdFactory, MemberFactory, new_problem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VILLAGE = "610902001001"
# The sheets at 96 px per inch, to screenshot what the printer gets.
SHEET_PX: dict[str, ViewportSize] = {
    "a4": {"width": 794, "height": 1123},
    "a3": {"width": 1123, "height": 1587},
}
# Long enough to wrap: a row of the poster keeps two lines of it at most.
LONG = (
    "该户住房屋面漏雨、墙体开裂，经鉴定为C级危房，"
    "需在雨季前完成加固改造并补齐鉴定和验收资料，整改后由乡镇复核"
)


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile("fix.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def problems(regions: object, town_officer: User, village_cadre: User) -> dict[str, int]:
    """14 red (overdue), 5 yellow and 2 green problems in 东关村: more than a sheet of either size holds."""
    today = timezone.localdate()
    household = HouseholdFactory(natural_village="三组", phone="13987654321")
    MemberFactory(household=household, name="孙有田")
    for i in range(14):
        new_problem(
            by=town_officer,
            on=today - dt.timedelta(days=20),
            due_on=today - dt.timedelta(days=14 - i),
            description=f"{i + 1}号 孙有田{LONG}" if i == 0 else f"{i + 1}号 {LONG}",
            household=household if i == 0 else None,
            responsible_unit="老城街道办事处（住建所）",
        )
    for i in range(5):
        new_problem(
            by=town_officer, on=today, due_on=today + dt.timedelta(days=10 + i), description=f"饮水{i} {LONG}"
        )
    for i in range(2):
        new_problem(
            by=village_cadre, on=today, description=f"档案{i}", fixed_on_the_spot=True, evidence=[photo()]
        )
    return {"red": 14, "yellow": 5, "green": 2}


def pdf_pages(pdf: bytes) -> int:
    """Page objects in a PDF written by Chromium (Skia writes each as ``/Type /Page``, uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def open_poster(browser: Browser, base_url: str, size: str) -> tuple[Page, list[str]]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 1700})
    page = context.new_page()
    foreign: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith((base_url, "data:")) else foreign.append(request.url),
    )
    page.goto(f"/boards/{VILLAGE}/poster/?size={size}")
    page.wait_for_load_state("networkidle")
    return page, foreign


@pytest.mark.parametrize(("size", "paper"), [("a4", "A4"), ("a3", "A3")])
def test_the_poster_prints_on_exactly_one_page(
    browser: Browser, live_server: object, problems: dict[str, int], size: str, paper: str
) -> None:
    page, foreign = open_poster(browser, str(live_server), size)
    text = page.inner_text("[data-poster]")
    assert "东关村问题整改清零公示" in text
    counts = {
        colour: page.inner_text(f"[data-count={colour}] .poster-block__value")
        for colour in ("red", "yellow", "green")
    }
    assert counts == {colour: str(n) for colour, n in problems.items()}
    assert page.inner_text("[data-count=rate] .poster-block__value") == "9.5%"
    assert "如有异议请扫码或联系乡镇" in text
    assert "孙有田" not in page.content()
    assert "13987654321" not in page.content()
    # The QR code is drawn (an inline SVG image, decoded and laid out at its size).
    qr = page.locator("img.poster-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert qr.bounding_box()["width"] > 100  # type: ignore[index]
    # Every row shown fits on the sheet: the last is above the footer, none is clipped away.
    rows = page.locator("[data-poster] tbody tr")
    shown = rows.count()
    assert shown == min(POSTER_ROWS[size], 19)
    list_box = page.locator(".poster-list").bounding_box()
    last_row = rows.nth(shown - 1).bounding_box()
    assert list_box is not None
    assert last_row is not None
    more = page.locator(".poster-more").bounding_box()
    assert more is not None
    for box in (last_row, more):
        assert box["y"] + box["height"] <= list_box["y"] + list_box["height"]
    assert f"另有{19 - shown}项未销号问题" in text
    pdf = page.pdf(format=paper, print_background=True)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1
    # What the printer gets, to look at: print media at the size of the sheet (96 px per inch).
    page.emulate_media(media="print")
    page.set_viewport_size(SHEET_PX[size])
    # Kept for a person to look at (the layout, the Chinese, the colours, the QR code); no secret in it.
    page.screenshot(path=f"/tmp/poster-{size}.png", full_page=True)  # noqa: S108
    assert foreign == []
    page.context.close()
