"""A factory per model (factory_boy). Models with an audited or append-only life are built through their
services, so a factory never produces a row the product could not have written itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from bangfu.accounts.models import ApiToken, PasswordHistory, Role, User
from bangfu.audit.models import AuditEvent
from bangfu.policy.models import OfficialCalendarYear, PolicyValue
from bangfu.regions.models import Region
from bangfu.registry import models as registry

TEST_PASSWORD = "Bangfu-test-2026"  # satisfies the password policy: length and three character classes


class RegionFactory(DjangoModelFactory[Region]):
    """Villages of a made-up town of 汉滨区; codes stay 12 digits for the first 999 of them."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"610902900{n % 999 + 1:03d}")
    name = factory.Sequence(lambda n: f"测试村{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.VILLAGE_TEAM
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class PasswordHistoryFactory(DjangoModelFactory[PasswordHistory]):
    class Meta:
        model = PasswordHistory

    user = factory.SubFactory(UserFactory)
    password = factory.LazyFunction(lambda: make_password("Earlier-pass-2025"))


class ApiTokenFactory(DjangoModelFactory[ApiToken]):
    """Issued through ``accounts.tokens.create_token``; the raw token is kept on ``.raw`` for the test."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = "测试令牌"

    @classmethod
    def _create(cls, model_class: type[ApiToken], *args: Any, **kwargs: Any) -> ApiToken:
        from bangfu.accounts.tokens import create_token

        issued = create_token(user=kwargs["user"], name=kwargs["name"], by=None)
        issued.token.raw = issued.raw  # type: ignore[attr-defined]
        return issued.token


class PolicyValueFactory(DjangoModelFactory[PolicyValue]):
    """A new version of a policy parameter (append-only: a factory only ever inserts)."""

    class Meta:
        model = PolicyValue

    key = "monitoring_line"
    region_prefix = "6109"
    effective_from = date(2026, 1, 1)
    value = 8000
    source_note = "测试数据"


class OfficialCalendarYearFactory(DjangoModelFactory[OfficialCalendarYear]):
    class Meta:
        model = OfficialCalendarYear

    year = 2027
    version = factory.Sequence(lambda n: n + 1)
    holidays: Any = factory.LazyFunction(lambda: ["2027-01-01"])
    workdays: Any = factory.LazyFunction(list)
    source_note = "测试数据"


class AuditEventFactory(DjangoModelFactory[AuditEvent]):
    """Appended through ``audit.events.security`` so the hash chain stays intact."""

    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(UserFactory)
    action = "example"

    @classmethod
    def _create(cls, model_class: type[AuditEvent], *args: Any, **kwargs: Any) -> AuditEvent:
        from bangfu.audit import events

        return events.security(actor=kwargs["actor"], action=kwargs["action"], obj=kwargs["actor"])


# --- registry ----------------------------------------------------------------------------------------------
# Rows are built directly (not through the services) only where the factory keeps every rule the services
# keep: ``region_code`` copied from the household, blind indexes computed, valid synthetic ID numbers.

VILLAGE = "610902001001"  # 东关村 of the shared region tree (tests/conftest.py)


def synthetic_id_number(*, birth: date, sex: str, serial: int, region_prefix: str = "610902") -> str:
    """A valid 18-character ID number for a synthetic person: region, birth date, a sequence whose last digit
    carries the sex (odd = male), and the GB 11643 check character."""
    from bangfu.core.idnumbers import check_digit

    sequence = (serial % 500) * 2 + (1 if sex == "male" else 0)
    first17 = f"{region_prefix}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def _index(value: str, kind: str) -> str:
    from bangfu.core.crypto import blind_index

    return blind_index(value, kind=kind) if value else ""


class HouseholdFactory(DjangoModelFactory[registry.Household]):
    class Meta:
        model = registry.Household

    region_code = VILLAGE
    household_number = factory.Sequence(lambda n: f"6109020010010{n:05d}")
    natural_village = "一组"
    address = factory.Sequence(lambda n: f"东关村一组{n + 1}号")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    phone_index = factory.LazyAttribute(lambda o: _index(o.phone, "phone"))


class MemberFactory(DjangoModelFactory[registry.Member]):
    class Meta:
        model = registry.Member

    household = factory.SubFactory(HouseholdFactory)
    region_code = factory.LazyAttribute(lambda o: o.household.region_code)
    name = factory.Sequence(lambda n: f"王{'一二三四五六七八九十'[n % 10]}{'明华强'[n // 10 % 3]}")
    sex = "male"
    birth_date = factory.Sequence(lambda n: date(1960 + n % 40, 1 + n % 12, 1 + n % 28))
    relation = "head"
    id_number = factory.LazyAttributeSequence(
        lambda o, n: synthetic_id_number(birth=o.birth_date, sex=o.sex, serial=n)
    )
    id_number_index = factory.LazyAttribute(lambda o: _index(o.id_number, "id_number"))
    resident_medical_insurance = True
    critical_illness_insurance = True


class HouseholdYearFactory(DjangoModelFactory[registry.HouseholdYear]):
    class Meta:
        model = registry.HouseholdYear

    household = factory.SubFactory(HouseholdFactory)
    region_code = factory.LazyAttribute(lambda o: o.household.region_code)
    year = 2025
    household_type = factory.LazyAttribute(lambda o: o.household.household_type)
    is_exited_poor = factory.LazyAttribute(lambda o: o.household.is_exited_poor)
    relocated = factory.LazyAttribute(lambda o: o.household.relocated)
    size = 1


class ProgrammeEnrolmentFactory(DjangoModelFactory[registry.ProgrammeEnrolment]):
    class Meta:
        model = registry.ProgrammeEnrolment

    household = factory.SubFactory(HouseholdFactory)
    region_code = factory.LazyAttribute(lambda o: o.household.region_code)
    kind = registry.ProgrammeKind.DIBAO
    grade = "二类"
    start_date = date(2024, 3, 1)


class EmploymentFactory(DjangoModelFactory[registry.Employment]):
    class Meta:
        model = registry.Employment

    member = factory.SubFactory(MemberFactory)
    household = factory.LazyAttribute(lambda o: o.member.household)
    region_code = factory.LazyAttribute(lambda o: o.member.region_code)
    employer = "苏州某电子厂"
    industry = "制造业"
    place = registry.WorkPlace.OUT_OF_PROVINCE
    channel = registry.WorkChannel.ORGANISED
    start_date = date(2025, 3, 1)
    months = 9


class IncomeStatementFactory(DjangoModelFactory[registry.IncomeStatement]):
    """Component totals as the services would keep them (no lines: a statement imported as totals)."""

    class Meta:
        model = registry.IncomeStatement

    household = factory.SubFactory(HouseholdFactory)
    region_code = factory.LazyAttribute(lambda o: o.household.region_code)
    period_kind = registry.PeriodKind.CALENDAR_YEAR
    period_start = date(2025, 1, 1)
    period_end = date(2025, 12, 31)
    household_size = 3
    wages = Decimal("24000.00")
    business = Decimal("3000.00")
    transfers = Decimal("1200.00")
    business_expenditure = Decimal("800.00")


class IncomeLineFactory(DjangoModelFactory[registry.IncomeLine]):
    class Meta:
        model = registry.IncomeLine

    statement = factory.SubFactory(IncomeStatementFactory)
    region_code = factory.LazyAttribute(lambda o: o.statement.region_code)
    component = registry.IncomeComponent.EXCLUDED
    item = "危房改造补助"
    amount = Decimal("20000.00")
    note = "专项补助，不计入收入"


class IndicatorObservationFactory(DjangoModelFactory[registry.IndicatorObservation]):
    class Meta:
        model = registry.IndicatorObservation

    household = factory.SubFactory(HouseholdFactory)
    region_code = factory.LazyAttribute(lambda o: o.household.region_code)
    indicator = registry.Indicator.HOUSING_GRADE
    value = "B"
    is_problem = factory.LazyAttribute(lambda o: o.value in registry.PROBLEM_VALUES)
    observed_on = date(2026, 3, 1)


class ChangeRequestFactory(DjangoModelFactory[registry.ChangeRequest]):
    class Meta:
        model = registry.ChangeRequest

    household = factory.SubFactory(HouseholdFactory)
    region_code = factory.LazyAttribute(lambda o: o.household.region_code)
    kind = registry.ChangeKind.UPDATE_HOUSEHOLD
    payload = '{"address": "东关村二组8号"}'
    reason = "搬到二组居住"
    submitted_by = factory.SubFactory(UserFactory)


class DuplicateCandidateFactory(DjangoModelFactory[registry.DuplicateCandidate]):
    class Meta:
        model = registry.DuplicateCandidate

    member_a = factory.SubFactory(MemberFactory)
    member_b = factory.SubFactory(MemberFactory, name=factory.SelfAttribute("..member_a.name"))
    region_code = factory.LazyAttribute(lambda o: o.member_a.region_code[:9] + "000")
    reason = registry.DuplicateReason.SAME_NAME_BIRTH

    @classmethod
    def _create(cls, model_class: type[registry.DuplicateCandidate], *args: Any, **kwargs: Any) -> Any:
        # The pair is stored in id order (a check constraint), as the finder stores it.
        a, b = kwargs["member_a"], kwargs["member_b"]
        if a.pk > b.pk:
            kwargs["member_a"], kwargs["member_b"] = b, a
        return super()._create(model_class, *args, **kwargs)


class ImportRunFactory(DjangoModelFactory[registry.ImportRun]):
    class Meta:
        model = registry.ImportRun

    kind = "registry.households"
    region_code = "610902000000"
    file_name = "农户信息.xlsx"
    file_sha256 = "0" * 64
    created_by = factory.SubFactory(UserFactory)


def ensure_default_rules() -> None:
    """The default screening rules as their data migration seeds them. Tests that use them call this: a
    transactional test (the browser's live server) empties every table, migrations' data included."""
    import importlib

    from django.apps import apps

    importlib.import_module("bangfu.monitoring.migrations.0002_default_rules").seed(apps, None)


# The identification procedure's policy (RULES §6.2 shapes) for 陕西省, as the demo assumes it.
PROCEDURE_POLICY: dict[str, object] = {
    "codes.risk_types": [
        "因病",
        "因残",
        "因学",
        "因自然灾害",
        "因意外事故",
        "因产业失败",
        "因务工就业不稳",
        "因缺劳动力",
        "因安全饮水",
        "其他",
    ],
    "income_window_months": 12,
    "deadline.self_report_acceptance": {"days": 2, "unit": "calendar"},
    "deadline.home_check": {"days": 5, "unit": "working"},
    "deadline.info_comparison": {"days": 5, "unit": "calendar"},
    "deadline.village_appraisal": {"days": 5, "unit": "calendar"},
    "deadline.village_notice": {"days": 5, "unit": "calendar"},
    "deadline.town_review": {"days": 3, "unit": "working"},
    "deadline.county_approval": {"days": 3, "unit": "working"},
    "deadline.announcement": {"days": 2, "unit": "working"},
    "deadline.identification": {"days": 20, "unit": "working"},
    "visit.interval": {"days": 30, "unit": "calendar"},
    "monitoring_line": 7800,
    "elimination.min_stable_months": 6,
}


def ensure_procedure_policy(prefix: str = "61") -> None:
    """The policy values a case needs (deadlines, code tables), in force from 2025 under ``prefix``."""
    from bangfu.policy.models import PolicyValue
    from bangfu.policy.services import add_policy_version

    for key, value in PROCEDURE_POLICY.items():
        if not PolicyValue.objects.filter(key=key, region_prefix=prefix).exists():
            add_policy_version(
                key=key,
                region_prefix=prefix,
                effective_from=date(2025, 1, 1),
                value=value,
                source_note="测试",
                by=None,
            )


def ensure_national_policy() -> None:
    """The national policy defaults (code tables …) as their data migration seeds them (see
    ``ensure_default_rules`` for why)."""
    import importlib

    from django.apps import apps

    from bangfu.policy.models import PolicyValue

    if not PolicyValue.objects.filter(region_prefix="").exists():
        importlib.import_module("bangfu.policy.migrations.0002_seed_shaanxi_defaults").seed(apps, None)


def ensure_measure_catalogue() -> None:
    """The measure catalogue as its data migration seeds it (see ``ensure_default_rules`` for why)."""
    import importlib

    from django.apps import apps

    importlib.import_module("bangfu.monitoring.migrations.0006_measure_catalogue").seed(apps, None)


def monitored_case(
    household: registry.Household,
    *,
    village: User,
    town: User,
    county: User,
    on: date = date(2026, 9, 29),
    category: str = "edge",
    risk_types: tuple[str, ...] = ("因病",),
    no_labour: bool = False,
) -> Any:
    """A cadre's report of ``household`` walked through every identification step to monitored, each step on
    the first day it may be done (the village notice's last day for the notice)."""
    from bangfu.monitoring import identification

    ensure_procedure_policy()
    case = identification.report_by_cadre(
        household=household, by=village, on=on, difficulty="测试", risk_types=list(risk_types)
    )
    case = identification.sign_application(
        case=case, by=village, on=on, proxy_name="李", proxy_relation="网格员"
    )
    case = identification.record_home_check(
        case=case,
        by=village,
        on=on,
        members=2,
        net_income=5000,
        out_of_pocket=0,
        needs_met=dict.fromkeys(identification.BASIC_NEEDS, True),
        risk_types=list(risk_types),
    )
    case = identification.compare_data(case=case, by=village, on=on)
    case = identification.record_appraisal(
        case=case, by=village, on=on, attendees=["甲", "乙", "丙"], minutes="同意"
    )
    day = case.notice_ends_on
    case = identification.close_notice(case=case, by=village, on=day)
    case = identification.town_approve(case=case, by=town, on=day)
    case = identification.county_approve(
        case=case, by=county, on=day, category=category, risk_types=list(risk_types), no_labour=no_labour
    )
    return identification.announce(case=case, by=town, on=day)


RECTIFICATION_POLICY: dict[str, object] = {
    "rectification.start_within": {"days": 3, "unit": "calendar"},
    "rectification.county_verifies_red": 1,
    "rectification.backdate_days": 3,
    "deadline.supervision_reply": {"days": 3, "unit": "calendar"},
    "rectification.circular_after_orders": 2,
    "rectification.interview_after_circulars": 2,
    "rectification.referral_after_interviews": 1,
}


def ensure_rectification_policy(prefix: str = "61") -> None:
    """The policy values problems need (start deadline, verification, escalation), from 2025 under ``prefix``.
    Calendar days, so that tests with a fixed clock need no official calendar."""
    from bangfu.policy.models import PolicyValue
    from bangfu.policy.services import add_policy_version

    for key, value in RECTIFICATION_POLICY.items():
        if not PolicyValue.objects.filter(key=key, region_prefix=prefix).exists():
            add_policy_version(
                key=key,
                region_prefix=prefix,
                effective_from=date(2025, 1, 1),
                value=value,
                source_note="测试",
                by=None,
            )


def ensure_problem_categories() -> None:
    """The problem categories as their data migration seeds them (see ``ensure_default_rules`` for why)."""
    import importlib

    from django.apps import apps

    importlib.import_module("bangfu.rectification.migrations.0002_problem_categories").seed(apps, None)


def new_problem(
    *,
    by: User,
    on: date,
    region_code: str = "610902001001",
    due_on: date | None = None,
    category: str = "housing",
    description: str = "危房改造未完成",
    responsible_unit: str = "老城街道办事处",
    **extra: object,
) -> Any:
    """A problem recorded through the service (policy and categories ensured), assigned on ``on``."""
    from datetime import timedelta

    from bangfu.rectification import services
    from bangfu.rectification.models import ProblemCategory, ProblemSource

    ensure_rectification_policy()
    ensure_problem_categories()
    fields: dict[str, Any] = {"source": ProblemSource.SELF_CHECK, **extra}
    return services.create_problem(
        by=by,
        on=on,
        category=ProblemCategory.objects.get(code=category),
        region_code=region_code,
        description=description,
        responsible_unit=responsible_unit,
        due_on=due_on or on + timedelta(days=30),
        **fields,
    )
