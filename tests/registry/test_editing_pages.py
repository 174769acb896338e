"""The editing pages: a town/county user's edit applies at once; a village team's edit of composition,
identity or income becomes a pending change request (nothing applied); problems appear beside their fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.registry import services
from bangfu.registry.forms import member_initial
from bangfu.registry.models import (
    ChangeRequest,
    ChangeStatus,
    Household,
    IncomeLine,
    IncomeStatement,
    IndicatorObservation,
    Member,
)
from tests.factories import synthetic_id_number
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

DONGGUAN = "610902001001"
TODAY = timezone.localdate()


def person(
    name: str, *, birth: date, sex: str = "male", relation: str = "head", serial: int
) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": synthetic_id_number(birth=birth, sex=sex, serial=serial),
        "sex": sex,
        "birth_date": birth,
        "relation": relation,
    }


@pytest.fixture
def household(town_officer: User) -> Household:
    """王建国 (head) and his son 王小明 in 东关村, registered through the services."""
    return services.create_household(
        by=town_officer,
        values={"region_code": DONGGUAN, "household_number": "610902001001000001", "address": "一组1号"},
        members=[
            person("王建国", birth=date(1970, 5, 1), serial=11),
            person("王小明", birth=date(2000, 1, 2), relation="son", serial=13),
        ],
        on=TODAY,
    )


def son_of(household: Household) -> Member:
    return household.members.get(name="王小明")


def member_post(member: Member, **changes: Any) -> dict[str, str]:
    """The member form as the browser sends it: every field with its current value, then ``changes``."""
    values = {**member_initial(member), **changes}
    data: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, date):
            data[key] = value.isoformat()
        else:
            data[key] = "" if value is None else str(value)
    return data


def page(response: Any) -> str:
    return str(response.content.decode())


class TestMemberEdit:
    def test_village_cadre_name_change_becomes_a_pending_request_and_changes_nothing(
        self, household: Household, village_cadre: User
    ) -> None:
        son = son_of(household)
        client = client_for(village_cadre)
        response = client.post(
            f"/households/members/{son.pk}/edit/",
            member_post(son, name="王晓明", reason="户口本上为“晓”"),
        )
        change = ChangeRequest.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/households/changes/{change.pk}/"
        assert (change.kind, change.status, change.member_id, change.reason) == (
            "update_member",
            ChangeStatus.PENDING,
            son.pk,
            "户口本上为“晓”",
        )
        assert services.change_payload(change) == {"name": "王晓明"}
        son.refresh_from_db()
        assert son.name == "王小明"
        detail = client.get(response["Location"])
        assert "已提交，等待乡镇审核。" in page(detail)

    def test_village_cadre_identity_change_needs_a_reason(
        self, household: Household, village_cadre: User
    ) -> None:
        son = son_of(household)
        response = client_for(village_cadre).post(
            f"/households/members/{son.pk}/edit/", member_post(son, name="王晓明", reason="")
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {"reason": ["请填写变更理由。"]}
        assert ChangeRequest.objects.count() == 0

    def test_village_cadre_saves_a_non_identity_detail_directly(
        self, household: Household, village_cadre: User
    ) -> None:
        son = son_of(household)
        response = client_for(village_cadre).post(
            f"/households/members/{son.pk}/edit/", member_post(son, health="chronic", reason="")
        )
        assert response.status_code == 302
        assert response["Location"] == f"/households/{household.pk}/"
        son.refresh_from_db()
        assert son.health == "chronic"
        assert ChangeRequest.objects.count() == 0

    def test_county_clerk_edit_applies_directly(self, household: Household, county_clerk: User) -> None:
        son = son_of(household)
        response = client_for(county_clerk).post(
            f"/households/members/{son.pk}/edit/", member_post(son, name="王晓明", education="senior")
        )
        assert response.status_code == 302
        son.refresh_from_db()
        assert (son.name, son.education) == ("王晓明", "senior")
        assert ChangeRequest.objects.count() == 0

    def test_unchanged_form_says_nothing_changed(self, household: Household, county_clerk: User) -> None:
        son = son_of(household)
        response = client_for(county_clerk).post(f"/households/members/{son.pk}/edit/", member_post(son))
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == ["没有修改任何内容。"]

    def test_birth_date_that_contradicts_the_id_number_is_shown_beside_the_birth_date(
        self, household: Household, county_clerk: User
    ) -> None:
        son = son_of(household)
        response = client_for(county_clerk).post(
            f"/households/members/{son.pk}/edit/", member_post(son, birth_date="2000-01-03")
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "birth_date": ["出生日期 2000-01-03 与身份证号码中的出生日期 2000-01-02 不一致"]
        }
        son.refresh_from_db()
        assert son.birth_date == date(2000, 1, 2)

    def test_making_a_member_head_asks_for_the_former_heads_new_relation(
        self, household: Household, county_clerk: User
    ) -> None:
        son = son_of(household)
        url = f"/households/members/{son.pk}/edit/"
        refused = client_for(county_clerk).post(url, member_post(son, relation="head"))
        assert refused.context["form"].errors == {
            "former_head_relation": ["该户已有户主王建国，请选择其改为的与户主关系。"]
        }
        response = client_for(county_clerk).post(
            url, member_post(son, relation="head", former_head_relation="father")
        )
        assert response.status_code == 302
        relations = dict(household.members.values_list("name", "relation"))
        assert relations == {"王建国": "father", "王小明": "head"}


class TestMemberAdd:
    def data(self, **changes: Any) -> dict[str, str]:
        data = {
            "name": "李秀英",
            "id_number": synthetic_id_number(birth=date(1972, 3, 4), sex="female", serial=21),
            "sex": "",
            "birth_date": "",
            "relation": "spouse",
            "ethnicity": "汉族",
            "political_status": "masses",
            "school_status": "not_in_school",
            "health": "healthy",
            "labour_capacity": "ordinary",
            "resident_medical_insurance": "on",
            "joined_on": "",
        }
        data.update(changes)
        return data

    def test_county_clerk_adds_a_member_with_sex_and_birth_date_read_from_the_id(
        self, household: Household, county_clerk: User
    ) -> None:
        response = client_for(county_clerk).post(f"/households/{household.pk}/members/new/", self.data())
        assert response.status_code == 302
        spouse = household.members.get(name="李秀英")
        assert (spouse.sex, spouse.birth_date, spouse.relation, spouse.resident_medical_insurance) == (
            "female",
            date(1972, 3, 4),
            "spouse",
            True,
        )

    def test_id_number_with_spaces_and_a_lower_case_x_is_normalised(
        self, household: Household, county_clerk: User
    ) -> None:
        number = "11010519491231002X"  # the standard's own example: valid, issued in Beijing
        typed = "110105 19491231 002x"
        response = client_for(county_clerk).post(
            f"/households/{household.pk}/members/new/",
            self.data(name="赵老太", id_number=typed, relation="mother", confirmed="on"),
        )
        assert response.status_code == 302
        assert household.members.get(name="赵老太").id_number == number

    def test_id_issued_in_another_city_warns_until_confirmed(
        self, household: Household, county_clerk: User
    ) -> None:
        elsewhere = synthetic_id_number(
            birth=date(1980, 6, 1), sex="female", serial=5, region_prefix="110101"
        )
        url = f"/households/{household.pk}/members/new/"
        first = client_for(county_clerk).post(url, self.data(id_number=elsewhere))
        assert first.status_code == 200
        form = first.context["form"]
        assert form.errors == {}
        assert form.field_warnings == {
            "id_number": ["身份证号码的发证地 110101 不在本村所属的市（6109），请核实"]
        }
        assert "已核实以上提示，确认无误" in page(first)
        assert not household.members.filter(name="李秀英").exists()
        confirmed = client_for(county_clerk).post(url, self.data(id_number=elsewhere, confirmed="on"))
        assert confirmed.status_code == 302
        assert household.members.get(name="李秀英").id_number == elsewhere

    def test_invalid_id_number_is_refused_beside_the_field(
        self, household: Household, county_clerk: User
    ) -> None:
        response = client_for(county_clerk).post(
            f"/households/{household.pk}/members/new/", self.data(id_number="61090219720304002")
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors["id_number"] == ["身份证号码长度应为18位，实际为17位"]
        assert household.members.count() == 2

    def test_id_number_of_a_member_of_another_household_is_refused_naming_it(
        self, household: Household, town_officer: User, county_clerk: User
    ) -> None:
        other = services.create_household(
            by=town_officer,
            values={"region_code": DONGGUAN, "household_number": "610902001001000002"},
            members=[person("李秀英", birth=date(1972, 3, 4), sex="female", serial=21)],
            on=TODAY,
        )
        response = client_for(county_clerk).post(f"/households/{household.pk}/members/new/", self.data())
        assert response.status_code == 200
        (message,) = response.context["form"].errors["id_number"]
        assert "已登记在户编号 610902001001000002（东关村，户主李秀英）" in message
        assert other.members.count() == 1
        assert household.members.count() == 2

    def test_village_cadre_new_member_becomes_a_request(
        self, household: Household, village_cadre: User
    ) -> None:
        response = client_for(village_cadre).post(
            f"/households/{household.pk}/members/new/", self.data(reason="嫁入本户")
        )
        change = ChangeRequest.objects.get()
        assert response["Location"] == f"/households/changes/{change.pk}/"
        assert change.kind == "add_member"
        payload = services.change_payload(change)
        assert (payload["name"], payload["sex"], payload["birth_date"]) == ("李秀英", "female", "1972-03-04")
        assert household.members.count() == 2


class TestMemberLeave:
    def test_county_clerk_records_a_member_leaving(self, household: Household, county_clerk: User) -> None:
        son = son_of(household)
        response = client_for(county_clerk).post(
            f"/households/members/{son.pk}/leave/", {"left_on": "2026-01-15", "left_reason": "married_out"}
        )
        assert response.status_code == 302
        son.refresh_from_db()
        assert (son.left_on, son.left_reason) == (date(2026, 1, 15), "married_out")

    def test_head_leaving_names_the_new_head(self, household: Household, county_clerk: User) -> None:
        head = household.members.get(name="王建国")
        url = f"/households/members/{head.pk}/leave/"
        refused = client_for(county_clerk).post(url, {"left_on": "2026-01-15", "left_reason": "died"})
        assert refused.context["form"].errors == {"new_head": ["户主离户时须指定新户主。"]}
        son = son_of(household)
        response = client_for(county_clerk).post(
            url, {"left_on": "2026-01-15", "left_reason": "died", "new_head": str(son.pk)}
        )
        assert response.status_code == 302
        son.refresh_from_db()
        head.refresh_from_db()
        assert (head.left_reason, son.relation) == ("died", "head")

    def test_village_cadre_leave_becomes_a_request(self, household: Household, village_cadre: User) -> None:
        son = son_of(household)
        response = client_for(village_cadre).post(
            f"/households/members/{son.pk}/leave/",
            {"left_on": "2026-01-15", "left_reason": "married_out", "reason": "已婚迁出"},
        )
        change = ChangeRequest.objects.get()
        assert response["Location"] == f"/households/changes/{change.pk}/"
        assert services.change_payload(change) == {"left_on": "2026-01-15", "reason": "married_out"}
        son.refresh_from_db()
        assert son.left_on is None

    def test_a_member_who_has_left_cannot_be_opened_again(
        self, household: Household, county_clerk: User
    ) -> None:
        son = son_of(household)
        services.member_leaves(member=son, by=county_clerk, left_on=date(2026, 1, 1), reason="moved_out")
        assert client_for(county_clerk).get(f"/households/members/{son.pk}/edit/").status_code == 404


class TestHouseholdCreateAndEdit:
    def create_data(self, **changes: str) -> dict[str, str]:
        data = {
            "region": DONGGUAN,
            "household_number": "610902001001000009",
            "natural_village": "三组",
            "address": "东关村三组9号",
            "household_type": "ordinary",
            "phone": "139 1234 5678",
            "head-name": "陈大山",
            "head-id_number": synthetic_id_number(birth=date(1965, 8, 8), sex="male", serial=31),
            "head-ethnicity": "汉族",
            "head-political_status": "masses",
            "head-school_status": "not_in_school",
            "head-health": "healthy",
            "head-labour_capacity": "ordinary",
        }
        data.update(changes)
        return data

    def test_town_officer_registers_a_household_with_its_head(self, town_officer: User) -> None:
        response = client_for(town_officer).post("/households/new/", self.create_data())
        household = Household.objects.get(household_number="610902001001000009")
        assert response["Location"] == f"/households/{household.pk}/"
        assert (household.region_code, household.phone, household.address) == (
            DONGGUAN,
            "13912345678",
            "东关村三组9号",
        )
        head = household.members.get()
        assert (head.name, head.relation, head.sex, head.birth_date) == (
            "陈大山",
            "head",
            "male",
            date(1965, 8, 8),
        )

    def test_a_town_must_pick_a_village(self, town_officer: User) -> None:
        response = client_for(town_officer).post("/households/new/", self.create_data(region="610902001000"))
        assert response.status_code == 200
        assert response.context["form"].errors == {"region": ["请选择到村一级。"]}
        assert Household.objects.count() == 0

    def test_village_cadre_new_household_becomes_a_request(self, village_cadre: User) -> None:
        response = client_for(village_cadre).post(
            "/households/new/", self.create_data(reason="新分户，已核实户口本")
        )
        change = ChangeRequest.objects.get()
        assert response["Location"] == f"/households/changes/{change.pk}/"
        payload = services.change_payload(change)
        assert payload["household"]["region_code"] == DONGGUAN
        assert [m["name"] for m in payload["members"]] == ["陈大山"]
        assert Household.objects.count() == 0

    def test_village_cadre_changes_the_phone_directly_but_the_type_by_request(
        self, household: Household, village_cadre: User
    ) -> None:
        url = f"/households/{household.pk}/edit/"
        data = {
            "household_number": household.household_number,
            "household_type": "ordinary",
            "address": "一组1号",
        }
        direct = client_for(village_cadre).post(url, {**data, "phone": "13800001111"})
        assert direct.status_code == 302
        household.refresh_from_db()
        assert household.phone == "13800001111"
        reviewed = client_for(village_cadre).post(
            url, {**data, "phone": "13800001111", "household_type": "dibao", "reason": "已纳入低保"}
        )
        change = ChangeRequest.objects.get()
        assert reviewed["Location"] == f"/households/changes/{change.pk}/"
        assert services.change_payload(change) == {"household_type": "dibao"}
        household.refresh_from_db()
        assert household.household_type == "ordinary"

    def test_a_malformed_phone_is_refused_beside_the_field(
        self, household: Household, county_clerk: User
    ) -> None:
        response = client_for(county_clerk).post(
            f"/households/{household.pk}/edit/", {"household_type": "ordinary", "phone": "12345"}
        )
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["phone"]


class TestIncome:
    def data(self, **changes: str) -> dict[str, str]:
        data = {
            "period_kind": "calendar_year",
            "year": str(TODAY.year - 1),
            "identified_on": "",
            "household_size": "",
            "amount_wages": "18,000",
            "note_wages": "苏州电子厂9个月",
            "amount_transfers": "2400元",
            "amount_business_expenditure": "800",
            "excluded-TOTAL_FORMS": "2",
            "excluded-INITIAL_FORMS": "0",
            "excluded-MIN_NUM_FORMS": "0",
            "excluded-MAX_NUM_FORMS": "50",
            "excluded-0-item": "危房改造补助",
            "excluded-0-amount": "20000",
            "excluded-0-note": "专项补助",
            "excluded-1-item": "",
            "excluded-1-amount": "",
            "excluded-1-note": "",
        }
        data.update(changes)
        return data

    def test_a_checked_zero_is_offered_again_as_zero(self, household: Household, county_clerk: User) -> None:
        # Entered with wages of 0 ("没有的填 0"): the form opened again shows 0, not a blank that a second
        # save would drop.
        client = client_for(county_clerk)
        assert (
            client.post(f"/households/{household.pk}/income/new/", self.data(amount_wages="0")).status_code
            == 302
        )
        form = client.get(f"/households/{household.pk}/income/new/").context["form"]
        assert form.initial["amount_wages"] == 0
        assert "amount_property" not in form.initial

    def test_itemised_lines_the_form_would_merge_are_listed_before_saving(
        self, household: Household, county_clerk: User
    ) -> None:
        from tests.factories import IncomeLineFactory, IncomeStatementFactory

        statement = IncomeStatementFactory(household=household)
        IncomeLineFactory(statement=statement, component="business", item="种植业收入（蔬菜）", amount=3000)
        IncomeLineFactory(statement=statement, component="business", item="养殖业收入（生猪）", amount=5000)
        page = client_for(county_clerk).get(f"/households/{household.pk}/income/new/")
        assert page.context["form"].initial["amount_business"] == 8000
        notice = page.content.decode().split('data-testid="itemised-lines"', 1)[1].split("</div>", 1)[0]
        assert "种植业收入（蔬菜） 3000" in notice
        assert "养殖业收入（生猪） 5000" in notice
        # A statement entered here (one amount per component, no item names) has nothing to warn about.
        IncomeStatement.objects.all().delete()
        client_for(county_clerk).post(f"/households/{household.pk}/income/new/", self.data())
        again = client_for(county_clerk).get(f"/households/{household.pk}/income/new/")
        assert 'data-testid="itemised-lines"' not in again.content.decode()

    def test_county_clerk_enters_a_calendar_year_statement(
        self, household: Household, county_clerk: User
    ) -> None:
        response = client_for(county_clerk).post(f"/households/{household.pk}/income/new/", self.data())
        assert response.status_code == 302
        statement = IncomeStatement.objects.get(household=household)
        year = TODAY.year - 1
        assert (statement.period_start, statement.period_end, statement.household_size) == (
            date(year, 1, 1),
            date(year, 12, 31),
            2,
        )
        assert (
            statement.wages,
            statement.transfers,
            statement.net_income,
            statement.net_income_per_capita,
        ) == (
            Decimal("18000.00"),
            Decimal("2400.00"),
            Decimal("19600.00"),
            Decimal("9800.00"),
        )
        lines = set(
            IncomeLine.objects.filter(statement=statement).values_list("component", "item", "amount", "note")
        )
        assert lines == {
            ("wages", "", Decimal("18000.00"), "苏州电子厂9个月"),
            ("transfers", "", Decimal("2400.00"), ""),
            ("business_expenditure", "", Decimal("800.00"), ""),
            ("excluded", "危房改造补助", Decimal("20000.00"), "专项补助"),
        }

    def test_twelve_months_before_the_identification_date(
        self, household: Household, county_clerk: User
    ) -> None:
        response = client_for(county_clerk).post(
            f"/households/{household.pk}/income/new/",
            self.data(period_kind="twelve_months", year="", identified_on="2025-06-10"),
        )
        assert response.status_code == 302
        statement = IncomeStatement.objects.get(household=household)
        assert (statement.period_kind, statement.period_start, statement.period_end) == (
            "twelve_months",
            date(2024, 6, 1),
            date(2025, 5, 31),
        )

    def test_amount_that_is_not_a_number_is_refused_beside_it(
        self, household: Household, county_clerk: User
    ) -> None:
        response = client_for(county_clerk).post(
            f"/households/{household.pk}/income/new/", self.data(amount_wages="一万八")
        )
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["amount_wages"]
        assert IncomeStatement.objects.count() == 0

    def test_excluded_amount_without_an_item_name_is_refused(
        self, household: Household, county_clerk: User
    ) -> None:
        response = client_for(county_clerk).post(
            f"/households/{household.pk}/income/new/", self.data(**{"excluded-1-amount": "500"})
        )
        assert response.status_code == 200
        assert response.context["excluded"].errors[1] == {"item": ["请填写项目名称。"]}

    def test_village_cadre_income_becomes_a_request(self, household: Household, village_cadre: User) -> None:
        response = client_for(village_cadre).post(
            f"/households/{household.pk}/income/new/", self.data(reason="年度收入核实")
        )
        change = ChangeRequest.objects.get()
        assert response["Location"] == f"/households/changes/{change.pk}/"
        payload = services.change_payload(change)
        assert payload["period_start"] == f"{TODAY.year - 1}-01-01"
        assert {(line["component"], line["amount"]) for line in payload["lines"]} == {
            ("wages", "18000.00"),
            ("transfers", "2400.00"),
            ("business_expenditure", "800.00"),
            ("excluded", "20000.00"),
        }
        assert IncomeStatement.objects.count() == 0

    def test_the_form_starts_from_the_latest_statement(
        self, household: Household, county_clerk: User
    ) -> None:
        client_for(county_clerk).post(f"/households/{household.pk}/income/new/", self.data())
        response = client_for(county_clerk).get(f"/households/{household.pk}/income/new/")
        form = response.context["form"]
        assert (form.initial["amount_wages"], form.initial["note_wages"]) == (
            Decimal("18000.00"),
            "苏州电子厂9个月",
        )
        assert response.context["excluded"].initial == [
            {"item": "危房改造补助", "amount": Decimal("20000.00"), "note": "专项补助"}
        ]


class TestIndicator:
    def test_village_cadre_records_an_indicator_directly(
        self, household: Household, village_cadre: User
    ) -> None:
        response = client_for(village_cadre).post(
            f"/households/{household.pk}/indicators/new/",
            {
                "indicator": "housing_grade",
                "value": "C",
                "observed_on": TODAY.isoformat(),
                "note": "墙体开裂",
            },
        )
        assert response.status_code == 302
        observation = IndicatorObservation.objects.get()
        assert (observation.indicator, observation.value, observation.is_problem, observation.note) == (
            "housing_grade",
            "C",
            True,
            "墙体开裂",
        )

    def test_a_value_of_another_indicator_is_refused(self, household: Household, village_cadre: User) -> None:
        response = client_for(village_cadre).post(
            f"/households/{household.pk}/indicators/new/",
            {"indicator": "water_quality", "value": "C", "observed_on": TODAY.isoformat()},
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {"value": ["指标取值无效：C"]}
        assert IndicatorObservation.objects.count() == 0

    def test_value_options_name_the_indicators_they_apply_to(
        self, household: Household, village_cadre: User
    ) -> None:
        text = page(client_for(village_cadre).get(f"/households/{household.pk}/indicators/new/"))
        assert '<option value="A" data-indicators="housing_grade">' in text
        assert 'value="met" data-indicators="child_out_of_school uninsured_member water_convenience' in text


def test_town_officer_sees_no_reason_box(household: Household, town_officer: User, client: Client) -> None:
    son = son_of(household)
    text = page(client_for(town_officer).get(f"/households/members/{son.pk}/edit/"))
    assert "变更理由" not in text
    assert 'name="name"' in text
