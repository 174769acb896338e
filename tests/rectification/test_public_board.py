"""The public clearance board (上网公示) and wall poster (上墙): exact counts by colour and lists per village,
town and county; keyset paging; no draft ever; no name, ID number or phone of a household on any page or
sheet; a bounded number of queries however many problems there are."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from bangfu.accounts.models import User
from bangfu.rectification import public_views, services
from bangfu.rectification.boards import BoardRow, public_text
from bangfu.rectification.models import Problem, ProblemSource
from tests.factories import HouseholdFactory, MemberFactory, new_problem

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 16)
FRIDAY = dt.date(2026, 11, 20)
VILLAGE = "610902001001"  # 东关村
OTHER_VILLAGE = "610902001002"  # 西关村
TOWN = "610902001000"  # 老城街道
OTHER_TOWN_VILLAGE = "610902100001"  # 五里镇五里村
COUNTY = "610902000000"  # 汉滨区
HOUSEHOLD_PHONE = "13987654321"
TYPED_PHONE = "13811112222"


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile("fix.jpg", buffer.getvalue(), content_type="image/jpeg")


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


class World:
    """A week of problems in 汉滨区, seen on Friday. Descriptions name each problem."""

    def __init__(self, clock: Any, users: dict[str, User]) -> None:
        town, village, county = users["town"], users["village"], users["county"]
        clock.set(MONDAY)
        self.household = HouseholdFactory(natural_village="二组", phone=HOUSEHOLD_PHONE)
        self.head = MemberFactory(household=self.household, name="王一明", health="serious_illness")
        self.daughter = MemberFactory(
            household=self.household, name="王小红", relation="daughter", health="disabled"
        )
        self.ids: list[str] = [str(self.head.id_number), str(self.daughter.id_number)]
        made = {}
        made["overdue"] = new_problem(by=town, on=MONDAY, description="overdue", due_on=day(2))
        made["idle"] = new_problem(by=town, on=MONDAY, description="idle")
        made["started"] = new_problem(by=town, on=MONDAY, description="started", due_on=day(20))
        made["sooner"] = new_problem(by=town, on=MONDAY, description="sooner", due_on=day(10))
        made["closed"] = new_problem(by=town, on=MONDAY, description="closed")
        made["household"] = new_problem(
            by=town,
            on=MONDAY,
            due_on=day(5),
            description=f"王一明家住房漏雨，身份证{self.head.id_number}，电话{HOUSEHOLD_PHONE}",
            measure=f"联系王小红（{TYPED_PHONE}，身份证{self.daughter.id_number}）督促维修",
            household=self.household,
            member=self.daughter,
        )
        made["west"] = new_problem(by=town, on=MONDAY, region_code=OTHER_VILLAGE, description="west")
        made["town"] = new_problem(by=town, on=MONDAY, region_code=TOWN, description="town-level")
        made["county"] = new_problem(by=county, on=MONDAY, region_code=COUNTY, description="county-level")
        made["spot"] = new_problem(
            by=county,
            on=MONDAY,
            region_code=OTHER_TOWN_VILLAGE,
            description="spot",
            fixed_on_the_spot=True,
            evidence=[photo()],
        )
        made["elsewhere"] = new_problem(
            by=users["other_county"], on=MONDAY, region_code="610981100001", description="elsewhere"
        )
        draft_list = services.create_list(
            by=county, title="暗访问题", source=ProblemSource.UNANNOUNCED_VISIT, issuing_office="区乡村振兴局"
        )
        made["draft"] = new_problem(
            by=county, on=MONDAY, description="draft-never-shown", problem_list=draft_list
        )
        clock.set(day(1))
        for key in ("started", "sooner", "household", "west"):
            services.note_progress(problem=made[key], by=town, on=day(1), note="已开工")
        services.request_closure(
            problem=made["closed"], by=village, on=day(1), note="已完成", evidence=[photo()]
        )
        clock.set(day(2))
        services.close_problem(problem=made["closed"], by=town, on=day(2))
        services.note_progress(problem=made["town"], by=town, on=day(2), note="已开工")
        clock.set(FRIDAY)
        self.problems: dict[str, Problem] = made

    def code(self, key: str) -> str:
        return self.problems[key].code


@pytest.fixture
def world(
    clock: Any, town_officer: User, village_cadre: User, county_clerk: User, other_county_clerk: User
) -> World:
    users = {"town": town_officer, "village": village_cadre, "county": county_clerk}
    return World(clock, {**users, "other_county": other_county_clerk})


def counts(response: Any) -> tuple[int, int, int, int, str]:
    c = response.context["counts"]
    return c.red, c.yellow, c.green, c.total, c.clearance_rate


def codes(rows: list[BoardRow]) -> list[str]:
    return [row.code for row in rows]


def test_a_village_board_counts_by_colour_and_lists_red_then_yellow_by_deadline(world: World) -> None:
    response = Client().get(f"/boards/{VILLAGE}/")
    assert response.status_code == 200
    assert counts(response) == (2, 3, 1, 6, "16.7%")
    # Red first (overdue due Wednesday, idle due in a month), then yellow by deadline.
    expected = ["overdue", "idle", "household", "sooner", "started"]
    assert codes(response.context["rows"]) == [world.code(k) for k in expected]
    assert codes(response.context["closed"]) == [world.code("closed")]
    assert response.context["children"] == []
    assert response.context["more"] is None
    household = response.context["rows"][2]
    assert household == BoardRow(
        code=world.code("household"),
        category="住房",
        place="东关村",
        group="二组",
        description="***家住房漏雨，身份证******************，电话***********",
        measure="联系***（***********，身份证******************）督促维修",
        responsible_unit="老城街道办事处",
        due_on=day(5),
        colour="yellow",
        colour_label="黄",
        state_label="整改中",
        closed_on=None,
        cursor=f"1-{day(5):%Y%m%d}-{world.problems['household'].pk}",
    )
    assert [(r.colour, r.state_label) for r in response.context["rows"][:2]] == [
        ("red", "待整改"),
        ("red", "待整改"),
    ]
    closed = response.context["closed"][0]
    assert (closed.colour, closed.state_label, closed.closed_on) == ("green", "已销号", day(2))
    page = response.content.decode()
    assert "东关村问题整改清零公示" in page
    assert f'href="/boards/{TOWN}/"' in page
    assert f'href="/boards/{COUNTY}/"' in page


def test_a_town_board_adds_its_own_problems_and_lists_its_villages(world: World) -> None:
    response = Client().get(f"/boards/{TOWN}/")
    assert counts(response) == (2, 5, 1, 8, "12.5%")
    expected = ["overdue", "idle", "household", "sooner", "started", "west", "town"]
    assert codes(response.context["rows"]) == [world.code(k) for k in expected]
    assert [row.place for row in response.context["rows"][-2:]] == ["西关村", "老城街道"]
    children = [
        (c.region.name, c.counts.red, c.counts.yellow, c.counts.green, c.counts.clearance_rate)
        for c in response.context["children"]
    ]
    assert children == [("东关村", 2, 3, 1, "16.7%"), ("西关村", 0, 1, 0, "0.0%")]
    page = response.content.decode()
    assert f'href="/boards/{VILLAGE}/"' in page
    assert f'href="/boards/{OTHER_VILLAGE}/"' in page


def test_a_county_board_lists_its_towns_and_nothing_of_another_county(world: World) -> None:
    response = Client().get(f"/boards/{COUNTY}/")
    assert counts(response) == (3, 5, 2, 10, "20.0%")
    expected = ["overdue", "idle", "county", "household", "sooner", "started", "west", "town"]
    assert codes(response.context["rows"]) == [world.code(k) for k in expected]
    assert codes(response.context["closed"]) == [world.code("closed"), world.code("spot")]
    children = [
        (c.region.name, c.counts.red, c.counts.yellow, c.counts.green) for c in response.context["children"]
    ]
    assert children == [("老城街道", 2, 5, 1), ("五里镇", 0, 0, 1)]
    assert world.code("elsewhere") not in response.content.decode()
    # An empty region is a board too (nothing issued there yet); other levels and unknown codes are not.
    empty = Client().get("/boards/610902100001/")
    assert counts(empty) == (0, 0, 1, 1, "100.0%")
    assert empty.context["rows"] == []


@pytest.mark.parametrize(
    "code", ["610000000000", "610900000000", "610902001999", "6109020010", "abc", "061090200100"]
)
def test_only_counties_towns_and_villages_have_boards(code: str, regions: object) -> None:
    assert Client().get(f"/boards/{code}/").status_code == 404
    assert Client().get(f"/boards/{code}/poster/?size=a3").status_code == 404


def test_the_list_pages_by_keyset_and_later_pages_skip_the_summary_lists(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(public_views, "PAGE_SIZE", 2)
    client = Client()
    seen: list[str] = []
    url = f"/boards/{VILLAGE}/"
    pages = 0
    while url:
        response = client.get(url)
        pages += 1
        seen += codes(response.context["rows"])
        if pages > 1:
            assert response.context["closed"] == []
            assert response.context["children"] == []
        more = response.context["more"]
        url = f"/boards/{VILLAGE}/?after={more}" if more else ""
        if more:
            assert f'href="?after={more}"' in response.content.decode()
    assert pages == 3
    expected = ["overdue", "idle", "household", "sooner", "started"]
    assert seen == [world.code(k) for k in expected]
    # A malformed position starts again from the top.
    assert codes(client.get(f"/boards/{VILLAGE}/?after=2-x-1").context["rows"]) == seen[:2]


def public_pages(code: str) -> list[str]:
    return [
        f"/boards/{code}/",
        f"/boards/{code}/poster/",
        f"/boards/{code}/poster/?size=a4",
        f"/boards/{code}/poster/?size=a3",
        f"/boards/{code}/poster/?size=b5",
    ]


def test_no_page_or_poster_shows_a_name_id_number_phone_or_health_detail(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The phone of the household, both members' ID numbers (and masked as elsewhere in the app), their
    # names (and masked), their health; a draft's text.
    planted = [
        *world.ids,
        *(f"{i[:6]}********{i[-4:]}" for i in world.ids),
        HOUSEHOLD_PHONE,
        TYPED_PHONE,
        "138****2222",
        "139****4321",
        "王一明",
        "王*明",
        "王小红",
        "王*红",
        "患有大病",
        "残疾",
        "draft-never-shown",
    ]
    client = Client()
    pages: dict[str, str] = {}
    for url in [url for code in (VILLAGE, TOWN, COUNTY) for url in public_pages(code)]:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    # A later page of the list too: the household's row is the first of the second page of two rows.
    monkeypatch.setattr(public_views, "PAGE_SIZE", 2)
    after = f"/boards/{VILLAGE}/?after={client.get(f'/boards/{VILLAGE}/').context['more']}"
    pages[after] = client.get(after).content.decode()
    for url, page in pages.items():
        assert world.code("household") in page, url
        assert "二组" in page, url
        for value in planted:
            assert value not in page, f"{url} shows {value}"
        # Nor any other run of digits that looks like an ID number or a mobile number.
        assert re.findall(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9})(?![0-9])", page) == [], url


def test_drafts_never_appear_until_issued(world: World, county_clerk: User) -> None:
    draft = world.problems["draft"]
    assert draft.problem_list is not None
    for url in public_pages(VILLAGE):
        assert draft.code not in Client().get(url).content.decode()
    services.issue_list(problem_list=draft.problem_list, by=county_clerk, on=FRIDAY)
    response = Client().get(f"/boards/{VILLAGE}/")
    assert draft.code in codes(response.context["rows"])
    assert counts(response) == (2, 4, 1, 7, "14.3%")


def test_the_poster_is_one_sheet_with_counts_rows_that_fit_and_the_qr_code_of_the_board(
    world: World,
) -> None:
    response = Client().get(f"/boards/{VILLAGE}/poster/?size=a3")
    assert response.status_code == 200
    page = response.content.decode()
    assert "东关村问题整改清零公示" in page
    assert "截至2026年11月20日" in page
    assert 'data-poster="a3"' in page
    assert "poster--a3" in page
    assert "如有异议请扫码或联系乡镇" in page
    assert "http://testserver/boards/610902001001/" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert codes(response.context["rows"]) == codes(Client().get(f"/boards/{VILLAGE}/").context["rows"])
    assert response.context["more_online"] == 0
    assert "poster--a4" in Client().get(f"/boards/{VILLAGE}/poster/").content.decode()
    assert "poster--a4" in Client().get(f"/boards/{VILLAGE}/poster/?size=letter").content.decode()


def test_public_pages_are_cacheable_and_set_no_cookie(world: World) -> None:
    for url in public_pages(VILLAGE):
        response = Client().get(url)
        assert response["Cache-Control"] == "public, max-age=60", url
        # No cookie is set (no CSRF token, no session); the middleware's "Vary: Cookie" still lets a
        # proxy share one copy among the visitors, who carry no cookie.
        assert response.cookies == {}, url


def test_public_text_hides_the_longer_name_first() -> None:
    assert public_text("欧阳娜娜和欧阳娜", ("欧阳娜娜", "欧阳娜")) == "****和***"
    assert public_text(None) == ""


def many(town_officer: User, n: int) -> None:
    """``n`` more problems of households in 东关村, half started (yellow), half idle (red by Friday)."""
    for i in range(n):
        household = HouseholdFactory()
        MemberFactory(household=household)
        problem = new_problem(by=town_officer, on=MONDAY, description=f"bulk {i}", household=household)
        if i % 2:
            services.note_progress(problem=problem, by=town_officer, on=MONDAY, note="已开工")


@pytest.mark.parametrize("extra", [0, 60])
def test_the_board_and_poster_cost_a_bounded_number_of_queries(
    world: World,
    town_officer: User,
    clock: Any,
    extra: int,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    clock.set(MONDAY)
    many(town_officer, extra)
    clock.set(FRIDAY)
    client = Client()
    for code in (VILLAGE, TOWN, COUNTY):
        # The counts run in one transaction without PostgreSQL's JIT: savepoint, SET LOCAL, release.
        with django_assert_max_num_queries(14):
            response = client.get(f"/boards/{code}/")
        assert response.status_code == 200
        with django_assert_max_num_queries(10):
            response = client.get(f"/boards/{code}/poster/?size=a4")
        assert response.status_code == 200
    assert counts(client.get(f"/boards/{VILLAGE}/"))[:4] == (2 + extra // 2, 3 + extra // 2, 1, 6 + extra)
    poster = client.get(f"/boards/{VILLAGE}/poster/?size=a4")
    assert len(poster.context["rows"]) == min(public_views.POSTER_ROWS["a4"], 5 + extra)
    assert poster.context["more_online"] == max(5 + extra - public_views.POSTER_ROWS["a4"], 0)


def test_a_health_problem_is_published_without_its_text_and_typed_phones_are_masked(
    clock: Any, town_officer: User
) -> None:
    clock.set(MONDAY)
    health = new_problem(
        by=town_officer,
        on=MONDAY,
        category="medical",
        description="村民李四患尿毒症，透析费用高",
        measure="落实大病救助",
    )
    water = new_problem(
        by=town_officer,
        on=MONDAY,
        category="water",
        description="供水站电话 0915-3212345 无人接听，管理员手机 138 1111 2222",
    )
    client = Client()
    for url in public_pages(VILLAGE):
        page = client.get(url).content.decode()
        assert health.code in page, url
        assert water.code in page, url
        for value in ("李四", "尿毒症", "大病救助", "0915-3212345", "3212345", "138 1111 2222", "1111"):
            assert value not in page, f"{url} shows {value}"
        assert "涉及个人信息，不公开具体内容" in page, url
