"""What a village team records directly on its visits: indicators, programmes, employment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry import services
from bangfu.registry.models import Employment, Household, IndicatorObservation, Member, ProgrammeEnrolment
from tests.factories import HouseholdFactory, MemberFactory

ON = date(2026, 3, 1)


@pytest.fixture
def household(regions: object) -> Household:
    return HouseholdFactory()


@pytest.fixture
def head(household: Household) -> Member:
    return MemberFactory(household=household, name="王建国")


@pytest.mark.django_db
class TestRecordIndicator:
    def test_village_cadre_records_a_c_grade_house_as_a_problem(
        self, household: Household, village_cadre: User
    ) -> None:
        observation = services.record_indicator(
            household=household,
            by=village_cadre,
            indicator="housing_grade",
            value="C",
            observed_on=date(2026, 2, 20),
            note="后墙开裂",
            on=ON,
        )
        assert (observation.region_code, observation.is_problem, observation.recorded_by) == (
            household.region_code,
            True,
            village_cadre,
        )
        (event,) = AuditEvent.objects.filter(object_type="registry.indicatorobservation")
        assert (event.action, event.actor_username, event.data["after"]["value"]) == (
            "create",
            "village_cadre",
            "C",
        )

    @pytest.mark.parametrize(
        ("indicator", "value", "message"),
        [
            ("housing_grade", "met", "指标取值无效：met"),
            ("water_quality", "B", "指标取值无效：B"),
            ("roads", "met", "未知的指标：roads"),
        ],
    )
    def test_invalid_values_are_refused(
        self, household: Household, village_cadre: User, indicator: str, value: str, message: str
    ) -> None:
        with pytest.raises(services.RegistryRefused, match=message):
            services.record_indicator(
                household=household, by=village_cadre, indicator=indicator, value=value, observed_on=ON
            )
        assert IndicatorObservation.objects.count() == 0

    def test_a_future_date_is_refused(self, household: Household, village_cadre: User) -> None:
        with pytest.raises(services.RegistryRefused, match="核查日期不能晚于今天"):
            services.record_indicator(
                household=household,
                by=village_cadre,
                indicator="water_quantity",
                value="met",
                observed_on=date(2026, 3, 2),
                on=ON,
            )

    @pytest.mark.parametrize("persona", ["other_village_cadre", "inspector", "department_user"])
    def test_others_cannot_record(
        self, household: Household, persona: str, request: pytest.FixtureRequest
    ) -> None:
        with pytest.raises(PermissionDenied):
            services.record_indicator(
                household=household,
                by=request.getfixturevalue(persona),
                indicator="water_quantity",
                value="met",
                observed_on=ON,
            )
        assert IndicatorObservation.objects.count() == 0


@pytest.mark.django_db
class TestProgrammes:
    def test_enrol_and_end(self, household: Household, head: Member, village_cadre: User) -> None:
        enrolment = services.enrol_programme(
            household=household,
            by=village_cadre,
            kind="dibao",
            start_date=date(2025, 7, 1),
            grade="二类",
            monthly_amount=Decimal("410.00"),
        )
        services.end_programme(enrolment=enrolment, by=village_cadre, end_date=date(2026, 1, 31))
        enrolment.refresh_from_db()
        assert (enrolment.region_code, enrolment.end_date, enrolment.monthly_amount) == (
            household.region_code,
            date(2026, 1, 31),
            Decimal("410.00"),
        )
        assert [
            e.action
            for e in AuditEvent.objects.filter(object_type="registry.programmeenrolment").order_by("seq")
        ] == [
            "create",
            "update",
        ]
        with pytest.raises(services.RegistryRefused, match="该记录已于 2026-01-31 结束"):
            services.end_programme(enrolment=enrolment, by=village_cadre, end_date=date(2026, 2, 28))

    def test_overlapping_enrolment_of_the_same_kind_is_refused(
        self, household: Household, village_cadre: User
    ) -> None:
        services.enrol_programme(
            household=household, by=village_cadre, kind="dibao", start_date=date(2025, 7, 1)
        )
        with pytest.raises(services.RegistryRefused, match="同一期间已有该项目的记录"):
            services.enrol_programme(
                household=household, by=village_cadre, kind="dibao", start_date=date(2026, 1, 1)
            )
        services.enrol_programme(
            household=household, by=village_cadre, kind="temporary_assistance", start_date=date(2026, 1, 1)
        )
        assert ProgrammeEnrolment.objects.count() == 2

    def test_end_before_start_and_foreign_member_are_refused(
        self, household: Household, village_cadre: User
    ) -> None:
        stranger = MemberFactory()
        with pytest.raises(services.RegistryRefused) as caught:
            services.enrol_programme(
                household=household,
                by=village_cadre,
                kind="disability_allowances",
                member=stranger,
                start_date=date(2025, 7, 1),
                end_date=date(2025, 6, 30),
            )
        assert [p.message for p in caught.value.problems] == [
            "该成员不属于本户",
            "结束日期 2025-06-30 早于开始日期 2025-07-01",
        ]


@pytest.mark.django_db
class TestEmployment:
    def test_add_and_end_employment(self, head: Member, village_cadre: User) -> None:
        work = services.add_employment(
            member=head,
            by=village_cadre,
            values={
                "employer": "苏州某电子厂",
                "place": "out_of_province",
                "channel": "organised",
                "start_date": "2025-03-01",
                "months": "9",
                "transport_subsidy": "500",
            },
        )
        assert (work.household_id, work.region_code, work.months, work.transport_subsidy) == (
            head.household_id,
            head.region_code,
            9,
            Decimal("500"),
        )
        services.end_employment(employment=work, by=village_cadre, end_date=date(2025, 11, 30))
        work.refresh_from_db()
        assert work.end_date == date(2025, 11, 30)

    def test_required_fields_and_choices(self, head: Member, village_cadre: User) -> None:
        with pytest.raises(services.RegistryRefused) as caught:
            services.add_employment(member=head, by=village_cadre, values={"place": "abroad", "months": 14})
        assert [p.message for p in caught.value.problems] == [
            "“务工所在地”的取值无效：abroad",
            "“就业渠道”不能为空",
            "“开始时间”不能为空",
            "务工时间（月）不能超过12",
        ]
        assert Employment.objects.count() == 0
