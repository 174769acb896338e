"""A contact cadre on a 360-px phone logs a routine visit with a photo (scaled down in the browser before it
is sent); a second visit sent while the phone is offline is kept as a draft and sent when it is back online,
and stored once."""

from __future__ import annotations

import io
import time

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from bangfu.accounts.models import User
from bangfu.monitoring import assistance
from bangfu.monitoring.models import MonitoringCase, Visit
from tests.browser.conftest import PHONE
from tests.factories import TEST_PASSWORD, HouseholdFactory, MemberFactory, monitored_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case(regions: object, village_cadre: User, town_officer: User, county_clerk: User) -> MonitoringCase:
    household = MemberFactory(name="吴长顺", household=HouseholdFactory(natural_village="二组")).household
    made = monitored_case(household, village=village_cadre, town=town_officer, county=county_clerk)
    return assistance.assign_contact(case=made, by=town_officer, cadre=village_cadre)


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 120, 40)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def wait_for(condition: object, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def drafts(page: Page) -> int:
    """Visits kept on the phone (the user's drafts in localStorage)."""
    key = "'bangfu.visit-drafts.' + document.querySelector('[data-user]').getAttribute('data-user')"
    return int(page.evaluate(f"JSON.parse(localStorage.getItem({key}) || '[]').length"))


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_a_cadre_logs_a_visit_with_a_photo_and_an_offline_one_is_resent(
    browser: Browser, live_server: object, village_cadre: User, case: MonitoringCase
) -> None:
    context = browser.new_context(viewport=PHONE, base_url=str(live_server))
    page = context.new_page()
    csp_errors: list[str] = []
    page.on(
        "console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.goto("/accounts/login/?next=/cases/visits/")
    page.get_by_label("用户名").fill(village_cadre.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的联系户")).to_be_visible()
    fits_the_screen(page)

    page.get_by_role("link", name="走访").click()
    expect(page.get_by_role("heading", name="记录走访 · 吴长顺")).to_be_visible()
    fits_the_screen(page)
    page.get_by_label("基本医疗有保障").uncheck()
    page.get_by_label("走访情况").fill("户主按时服药，家中正常")
    original = photo_bytes()
    page.get_by_label("走访照片").set_input_files(
        {"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": original}
    )
    page.get_by_role("button", name="提交走访记录").click()
    expect(page.get_by_role("heading", name="我的联系户")).to_be_visible()
    expect(page.get_by_text("已记录走访。")).to_be_visible()
    visit = Visit.objects.get()
    assert visit.needs_met["medical"] is False
    assert visit.note == "户主按时服药，家中正常"
    with visit.photo.open("rb") as photo:
        stored = photo.read()
    assert b"JFIF" not in (settings.MEDIA_ROOT / visit.photo.name).read_bytes()  # encrypted at rest
    width, height = Image.open(io.BytesIO(stored)).size
    assert max(width, height) == 1280  # scaled down on the phone
    assert len(stored) < len(original)

    # The second visit: the signal drops as it is sent.
    page.get_by_role("link", name="走访").click()
    page.get_by_label("走访情况").fill("暴雨后回访，房屋无损")
    context.set_offline(True)
    page.get_by_role("button", name="提交走访记录").click()
    expect(page.get_by_text("网络不通：已在手机上保存草稿，联网后自动发送。")).to_be_visible()
    assert drafts(page) == 1
    assert Visit.objects.count() == 1
    context.set_offline(False)
    wait_for(lambda: Visit.objects.count() == 2)
    expect(page.get_by_text("草稿已发送。")).to_be_visible()
    assert drafts(page) == 0
    assert Visit.objects.filter(note="暴雨后回访，房屋无损").count() == 1
    assert csp_errors == []
    context.close()
