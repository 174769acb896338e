"""A village cadre on a 360-px phone finds a household by typing a member's full ID number, opens its page and
sees the members with masked ID numbers; neither page is wider than the screen, and the typed number never
reaches the address bar."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from bangfu.accounts.models import User
from bangfu.registry.models import Household
from tests.browser.conftest import PHONE
from tests.factories import TEST_PASSWORD, HouseholdFactory, MemberFactory, synthetic_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEAD_ID = synthetic_id_number(birth=date(1966, 4, 18), sex="male", serial=61)
WIFE_ID = synthetic_id_number(birth=date(1969, 9, 30), sex="female", serial=62)


def masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


@pytest.fixture
def household(regions: object) -> Household:
    made = HouseholdFactory(household_number="610902001001000321", natural_village="二组")
    MemberFactory(
        household=made, name="吴长顺", relation="head", birth_date=date(1966, 4, 18), id_number=HEAD_ID
    )
    MemberFactory(
        household=made,
        name="刘春梅",
        relation="spouse",
        sex="female",
        birth_date=date(1969, 9, 30),
        id_number=WIFE_ID,
    )
    # Another household of the village, so that the search has something to leave out.
    MemberFactory(household=HouseholdFactory(household_number="610902001001000322"), name="吴长福")
    return made


def _fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_village_cadre_finds_a_household_by_id_number_on_a_phone(
    browser: Browser, live_server: object, village_cadre: User, household: Household
) -> None:
    context = browser.new_context(viewport=PHONE, base_url=str(live_server))
    page = context.new_page()
    csp_errors: list[str] = []
    page.on(
        "console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.goto("/accounts/login/?next=/households/")
    page.get_by_label("用户名").fill(village_cadre.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="农户信息")).to_be_visible()
    _fits_the_screen(page)

    # The wife's number, typed the way people do: in groups, with full-width digits.
    typed = (
        WIFE_ID[:6]
        + " "
        + WIFE_ID[6:14].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        + " "
        + WIFE_ID[14:]
    )
    page.get_by_label("查找农户").fill(typed)
    page.get_by_label("查找农户").press("Enter")
    cards = page.get_by_test_id("household-card")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card).to_be_visible()
    expect(card).to_contain_text("吴长顺")
    expect(card).to_contain_text(masked(HEAD_ID))
    expect(card).to_contain_text("匹配成员：刘春梅")
    # The table of wider screens is not shown on a phone.
    expect(page.locator("table").first).to_be_hidden()
    assert WIFE_ID not in page.url
    assert WIFE_ID[14:] not in page.url
    _fits_the_screen(page)

    card.get_by_role("link", name="吴长顺").click()
    expect(page.get_by_role("heading", name="吴长顺户")).to_be_visible()
    assert page.url.endswith(f"/households/{household.pk}/")
    ids = page.get_by_test_id("member-id")
    expect(ids).to_have_text([masked(HEAD_ID), masked(WIFE_ID)])
    page_text = page.content()
    assert HEAD_ID not in page_text
    assert WIFE_ID not in page_text
    # Without the grant there is nothing to press.
    expect(page.get_by_role("button", name="显示完整号码")).to_have_count(0)
    _fits_the_screen(page)
    assert csp_errors == []
    context.close()
