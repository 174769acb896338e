"""Households through the services: creation, edits by role, exact duplicates by ID, moving and closing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.core.crypto import blind_index
from bangfu.registry import services
from bangfu.registry.models import (
    ChangeRequest,
    Employment,
    Household,
    HouseholdStatus,
    IncomeLine,
    IndicatorObservation,
    Member,
    ProgrammeEnrolment,
)
from tests.factories import (
    DuplicateCandidateFactory,
    EmploymentFactory,
    IncomeLineFactory,
    IndicatorObservationFactory,
    ProgrammeEnrolmentFactory,
    synthetic_id_number,
)

ON = date(2026, 3, 1)
DONGGUAN = "610902001001"
XIGUAN = "610902001002"
WULI = "610902100001"
HONGJUN = "610981100001"


def person(
    name: str, *, birth: date, sex: str = "male", relation: str = "head", serial: int = 1
) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": synthetic_id_number(birth=birth, sex=sex, serial=serial),
        "sex": sex,
        "birth_date": birth,
        "relation": relation,
    }


def new_household(
    by: User, *, village: str = DONGGUAN, number: str = "610902001001000001", **members: Any
) -> Household:
    people = members.get("people") or [
        person("王建国", birth=date(1970, 5, 1), serial=11),
        person("李秀英", birth=date(1972, 8, 9), sex="female", relation="spouse", serial=12),
    ]
    return services.create_household(
        by=by,
        values={
            "region_code": village,
            "household_number": number,
            "address": "东关村一组1号",
            "phone": "139 1234 5678",
        },
        members=people,
        on=ON,
    )


def events_for(obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
    )


@pytest.mark.django_db
class TestCreateHousehold:
    def test_town_officer_registers_household_with_members_indexes_and_audit(
        self, town_officer: User
    ) -> None:
        household = new_household(town_officer)

        household.refresh_from_db()
        assert household.region_code == DONGGUAN
        assert household.phone == "13912345678"
        assert household.phone_index == blind_index("13912345678", kind="phone")
        members = list(household.members.order_by("pk"))
        assert [(m.name, m.relation, m.region_code, m.joined_on) for m in members] == [
            ("王建国", "head", DONGGUAN, None),
            ("李秀英", "spouse", DONGGUAN, None),
        ]
        assert members[0].id_number_index == blind_index(members[0].id_number, kind="id_number")
        (created,) = events_for(household)
        assert created.action == "create"
        assert created.actor_username == "town_officer"
        assert created.region_code == DONGGUAN
        assert created.data["after"]["phone"] == "139****5678"
        assert created.data["after"]["phone_index"] == "******"
        assert created.data["after"]["members"] == 2
        member_event = events_for(members[0])[0]
        assert member_event.data["after"]["name"] == "王建国"
        assert member_event.data["after"]["id_number"] == "610902********" + members[0].id_number[-4:]

    def test_birth_date_and_sex_are_taken_from_the_id_number_when_missing(self, town_officer: User) -> None:
        number = synthetic_id_number(birth=date(1988, 2, 29), sex="female", serial=3)
        household = new_household(
            town_officer, people=[{"name": "陈丽", "id_number": number, "relation": "head"}]
        )
        member = household.members.get()
        assert (member.birth_date, member.sex) == (date(1988, 2, 29), "female")

    def test_village_cadre_is_refused_and_nothing_is_written(self, village_cadre: User) -> None:
        with pytest.raises(PermissionDenied, match="请提交变更申请"):
            new_household(village_cadre)
        assert Household.objects.count() == 0
        assert AuditEvent.objects.count() == 0

    def test_town_officer_cannot_register_in_another_town(self, town_officer: User) -> None:
        with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
            new_household(town_officer, village=WULI)
        assert Household.objects.count() == 0

    @pytest.mark.parametrize("persona", ["inspector", "department_user", "auditor"])
    def test_readers_and_others_cannot_write(self, persona: str, request: pytest.FixtureRequest) -> None:
        user = request.getfixturevalue(persona)
        with pytest.raises(PermissionDenied, match="没有修改农户信息的权限"):
            new_household(user)
        assert Household.objects.count() == 0

    def test_every_problem_is_reported_at_once(self, town_officer: User) -> None:
        with pytest.raises(services.RegistryRefused) as caught:
            services.create_household(
                by=town_officer,
                values={"region_code": DONGGUAN, "household_type": "exited_poor", "is_exited_poor": False},
                members=[
                    {"name": "", "sex": "male", "birth_date": "1970-05-01", "relation": "son"},
                    {"name": "赵四", "sex": "x", "birth_date": "2030-01-01", "relation": "son"},
                ],
                on=ON,
            )
        messages = [p.message for p in caught.value.problems]
        assert messages == [
            "户类型为“脱贫户”时，“是否脱贫户”须为“是”",
            "第1名成员（）：“姓名”不能为空",
            "第2名成员（赵四）：“性别”的取值无效：x",
            "第2名成员（赵四）：出生日期 2030-01-01 晚于 2026-03-01",
            "该户没有户主（与户主关系须有一人为“户主”）",
        ]
        assert Household.objects.count() == 0

    def test_region_must_be_an_existing_village(self, county_clerk: User) -> None:
        with pytest.raises(services.RegistryRefused, match="所在村须为12位村级区划代码：610902001000"):
            new_household(county_clerk, village="610902001000")
        with pytest.raises(services.RegistryRefused, match="区划代码不存在：610902001009"):
            new_household(county_clerk, village="610902001009")

    def test_household_number_is_unique(self, town_officer: User) -> None:
        new_household(town_officer)
        with pytest.raises(services.RegistryRefused, match="户编号 610902001001000001 已被其他农户使用"):
            new_household(town_officer, people=[person("孙七", birth=date(1980, 1, 1), serial=40)])


@pytest.mark.django_db
class TestExactDuplicateById:
    def test_refused_naming_the_other_household_inside_the_scope(self, town_officer: User) -> None:
        first = new_household(town_officer)
        duplicate = person("王建国", birth=date(1970, 5, 1), serial=11)
        with pytest.raises(services.RegistryRefused) as caught:
            new_household(town_officer, village=XIGUAN, number="610902001002000001", people=[duplicate])
        masked = duplicate["id_number"][:6] + "********" + duplicate["id_number"][-4:]
        assert str(caught.value) == (
            f"王建国的身份证号码 {masked} 已登记在户编号 {first.household_number}（东关村，户主王建国），"
            "同一人不能同时是两户的成员"
        )
        assert Household.objects.count() == 1

    def test_outside_the_scope_only_the_county_is_named(
        self, county_clerk: User, other_county_clerk: User
    ) -> None:
        new_household(other_county_clerk, village=HONGJUN, number="610981100001000001")
        duplicate = person("王建国", birth=date(1970, 5, 1), serial=11)
        with pytest.raises(services.RegistryRefused) as caught:
            new_household(county_clerk, people=[duplicate])
        message = str(caught.value)
        assert "已登记在旬阳市的其他村" in message
        assert "610981100001000001" not in message
        assert "红军村" not in message

    def test_a_member_who_left_may_be_registered_again(self, town_officer: User) -> None:
        first = new_household(town_officer)
        spouse = first.members.get(relation="spouse")
        services.member_leaves(member=spouse, by=town_officer, left_on=date(2026, 2, 1), reason="moved_out")
        again = person("李秀英", birth=date(1972, 8, 9), sex="female", serial=12)
        second = new_household(town_officer, village=XIGUAN, number="610902001002000001", people=[again])
        assert second.members.get().id_number_index == spouse.id_number_index

    def test_the_same_id_twice_in_one_new_household(self, town_officer: User) -> None:
        twice = person("王建国", birth=date(1970, 5, 1), serial=11)
        with pytest.raises(services.RegistryRefused, match="同一身份证号码在本户出现两次"):
            new_household(town_officer, people=[twice, {**twice, "relation": "son"}])


@pytest.mark.django_db
class TestUpdateHousehold:
    def test_village_cadre_changes_contact_details_directly(
        self, town_officer: User, village_cadre: User
    ) -> None:
        household = new_household(town_officer)
        services.update_household(
            household=household,
            by=village_cadre,
            values={"address": "东关村二组8号", "phone": "0915-3212345", "natural_village": "二组"},
            on=ON,
        )
        household.refresh_from_db()
        assert (household.address, household.phone, household.natural_village) == (
            "东关村二组8号",
            "09153212345",
            "二组",
        )
        assert household.phone_index == blind_index("09153212345", kind="phone")
        update = events_for(household)[-1]
        assert update.action == "update"
        assert update.actor_username == "village_cadre"
        assert update.data["changed"] == ["address", "natural_village", "phone", "phone_index"]
        assert update.data["before"]["address"] == "东关村一组1号"
        assert update.data["after"]["phone"] == "091****2345"

    def test_village_cadre_cannot_change_type_or_exited_flag(
        self, town_officer: User, village_cadre: User
    ) -> None:
        household = new_household(town_officer)
        count = AuditEvent.objects.count()
        with pytest.raises(PermissionDenied, match="请提交变更申请"):
            services.update_household(
                household=household, by=village_cadre, values={"household_type": "dibao"}, on=ON
            )
        household.refresh_from_db()
        assert household.household_type == "ordinary"
        assert AuditEvent.objects.count() == count

    def test_unchanged_values_are_not_an_edit(self, town_officer: User, village_cadre: User) -> None:
        household = new_household(town_officer)
        count = AuditEvent.objects.count()
        services.update_household(
            household=household,
            by=village_cadre,
            values={"household_type": "ordinary", "address": "东关村一组1号"},
            on=ON,
        )
        assert AuditEvent.objects.count() == count

    def test_other_village_cadre_is_out_of_scope(self, town_officer: User, other_village_cadre: User) -> None:
        household = new_household(town_officer)
        with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
            services.update_household(
                household=household, by=other_village_cadre, values={"address": "x"}, on=ON
            )
        household.refresh_from_db()
        assert household.address == "东关村一组1号"

    def test_invalid_phone_and_unknown_field_are_refused(self, town_officer: User) -> None:
        household = new_household(town_officer)
        with pytest.raises(services.RegistryRefused) as caught:
            services.update_household(
                household=household, by=town_officer, values={"phone": "12345", "status": "closed"}, on=ON
            )
        assert [p.message for p in caught.value.problems] == [
            "联系电话格式不正确：12345",
            "不能修改的字段：status",
        ]

    def test_moving_to_another_village_moves_every_row_of_the_household(self, county_clerk: User) -> None:
        household = new_household(county_clerk)
        head = household.members.get(relation="head")
        ProgrammeEnrolmentFactory(household=household)
        EmploymentFactory(member=head, household=household)
        IncomeLineFactory(statement__household=household)
        IndicatorObservationFactory(household=household)
        other = new_household(
            county_clerk,
            number="610902001001000002",
            people=[person("王建国", birth=date(1970, 5, 1), serial=99)],
        )
        candidate = DuplicateCandidateFactory(member_a=head, member_b=other.members.get())

        services.update_household(household=household, by=county_clerk, values={"region_code": WULI}, on=ON)

        assert set(Member.objects.filter(household=household).values_list("region_code", flat=True)) == {WULI}
        assert set(
            IncomeLine.objects.filter(statement__household=household).values_list("region_code", flat=True)
        ) == {WULI}
        assert list(
            ProgrammeEnrolment.objects.filter(household=household).values_list("region_code", flat=True)
        ) == [WULI]
        assert list(Employment.objects.filter(household=household).values_list("region_code", flat=True)) == [
            WULI
        ]
        assert list(
            IndicatorObservation.objects.filter(household=household).values_list("region_code", flat=True)
        ) == [WULI]
        candidate.refresh_from_db()
        assert candidate.region_code == "610902100000"
        assert ChangeRequest.objects.count() == 0

    def test_town_cannot_move_a_household_out_of_its_town(self, town_officer: User) -> None:
        household = new_household(town_officer)
        with pytest.raises(PermissionDenied):
            services.update_household(
                household=household, by=town_officer, values={"region_code": WULI}, on=ON
            )
        household.refresh_from_db()
        assert household.region_code == DONGGUAN


@pytest.mark.django_db
class TestCloseHousehold:
    def test_closing_ends_members_programmes_and_employment(self, town_officer: User) -> None:
        household = new_household(town_officer)
        open_programme = ProgrammeEnrolmentFactory(household=household, start_date=date(2024, 1, 1))
        head = household.members.get(relation="head")
        work = EmploymentFactory(member=head, household=household, start_date=date(2025, 3, 1))

        services.close_household(
            household=household,
            by=town_officer,
            closed_on=date(2026, 2, 10),
            reason="全户迁往城区",
            member_reason="moved_out",
        )

        household.refresh_from_db()
        assert (household.status, household.closed_on, household.closed_reason) == (
            HouseholdStatus.CLOSED,
            date(2026, 2, 10),
            "全户迁往城区",
        )
        assert set(household.members.values_list("left_on", "left_reason")) == {
            (date(2026, 2, 10), "moved_out")
        }
        open_programme.refresh_from_db()
        work.refresh_from_db()
        assert open_programme.end_date == work.end_date == date(2026, 2, 10)
        assert events_for(household)[-1].data["changed"] == ["closed_on", "closed_reason", "status"]

    def test_a_closed_household_cannot_be_edited(self, town_officer: User) -> None:
        household = new_household(town_officer)
        services.close_household(
            household=household, by=town_officer, closed_on=date(2026, 2, 10), reason="消亡"
        )
        with pytest.raises(services.RegistryRefused, match="该户已注销"):
            services.update_household(
                household=household, by=town_officer, values={"address": "新地址"}, on=ON
            )

    def test_village_cadre_cannot_close(self, town_officer: User, village_cadre: User) -> None:
        household = new_household(town_officer)
        with pytest.raises(PermissionDenied):
            services.close_household(household=household, by=village_cadre, closed_on=ON, reason="消亡")
        household.refresh_from_db()
        assert household.status == HouseholdStatus.ACTIVE

    def test_reason_is_required(self, town_officer: User) -> None:
        household = new_household(town_officer)
        with pytest.raises(services.RegistryRefused, match="请填写注销原因"):
            services.close_household(household=household, by=town_officer, closed_on=ON, reason="  ")
