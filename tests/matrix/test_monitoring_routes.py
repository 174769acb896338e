"""The warning pages: the inbox (every business role, rows by scope — a department's only from its own data),
one warning (404 outside its village), and the answer (the village team and the town only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
from django.utils import timezone

from bangfu.accounts.models import Sector
from bangfu.monitoring.models import QualityIssue, ScreeningRule, ScreeningRun, ScreeningWarning
from tests.factories import HouseholdFactory, MemberFactory, ensure_default_rules, ensure_procedure_policy
from tests.permissions import (
    BUSINESS_OVER_VILLAGE,
    BUSINESS_PERSONAS,
    OUTSIDE_VILLAGE,
    PermissionMatrix,
    Route,
)

pytestmark = pytest.mark.django_db

NUMBER = "610902001001000777"
ANSWERERS = frozenset({"village_cadre", "town_officer"})


def warning_ids() -> Mapping[str, object]:
    """One warning of 东关村 raised by medical-insurance data, made once per test."""
    warning = ScreeningWarning.objects.filter(household__household_number=NUMBER).first()
    if warning is None:
        ensure_default_rules()
        ensure_procedure_policy()  # including a warning opens a case
        household = HouseholdFactory(household_number=NUMBER)
        MemberFactory(household=household, name="孙有田")
        rule = ScreeningRule.objects.get(code="MED-01")
        warning = ScreeningWarning.objects.create(
            household=household,
            region_code=household.region_code,
            rule=rule,
            rule_code=rule.code,
            risk_type=rule.risk_type,
            sector=Sector.MEDICAL_INSURANCE,
            episode="e1",
            facts={
                "source": "medical",
                "source_label": "医保住院费用",
                "values": {"个人自付": "7000.00"},
                "tests": [],
            },
            screened_on=dt.date(2026, 3, 20),
            due_on=dt.date(2026, 3, 25),
        )
    return {"pk": warning.pk}


REGISTRY_READERS = BUSINESS_PERSONAS - {"department_user"}
QUALITY_NUMBER = "610902001001000888"


def quality_issue() -> Mapping[str, object]:
    """One data-quality finding of 东关村 (an uninsured head)."""
    if not QualityIssue.objects.exists():
        member = MemberFactory(
            household=HouseholdFactory(household_number=QUALITY_NUMBER), resident_medical_insurance=False
        )
        QualityIssue.objects.create(
            code="DQ03",
            household=member.household,
            member=member,
            region_code=member.region_code,
            found_on=dt.date(2026, 3, 20),
        )
    return {}


def rules_present() -> Mapping[str, object]:
    ensure_default_rules()
    return {}


def a_run() -> Mapping[str, object]:
    """One nightly run that found households in 汉滨区 and 旬阳市."""
    if not ScreeningRun.objects.exists():
        ScreeningRun.objects.create(
            as_of=dt.date(2026, 3, 20),
            started_at=timezone.now(),
            finished_at=timezone.now(),
            created_warnings=4,
            counts={
                "rules": {
                    "MED-01": {
                        "name": "住院自付",
                        "flagged": 4,
                        "new": 4,
                        "by_county": {"610902": 3, "610981": 1},
                    }
                },
                "by_county": {"610902": 3, "610981": 1},
            },
        )
    return {}


def warning_state() -> object:
    return list(ScreeningWarning.objects.values_list("status", "answer_reason"))


class TestMonitoringRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/warnings/?show=all",
            allowed=BUSINESS_PERSONAS,
            setup=warning_ids,
            marker=NUMBER,
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        Route(
            "/warnings/{pk}/",
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            setup=warning_ids,
            marker=NUMBER,
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        Route(
            "/warnings/{pk}/answer/",
            method="post",
            data={"status": "included"},
            allowed=ANSWERERS,
            outside=frozenset({"other_village_cadre"}),
            ok_status=302,
            setup=warning_ids,
            state=warning_state,
        ),
        Route(
            "/warnings/rules/",
            allowed=BUSINESS_PERSONAS,
            setup=rules_present,
            marker="MED-01",
            shown_to=BUSINESS_PERSONAS,
        ),
        # The rule form: the city headquarters only.
        Route("/warnings/rules/new/", allowed=frozenset({"city_hq"})),
        # The screening runs: the city and the counties, each the columns of its own counties.
        Route(
            "/warnings/runs/",
            allowed=frozenset({"city_hq", "county_clerk", "other_county_clerk"}),
            setup=a_run,
            marker="汉滨区",
            shown_to=frozenset({"city_hq", "county_clerk"}),
        ),
        # The data-quality list: the registry's readers, each their scope's (departments read no registry).
        Route(
            "/warnings/quality/",
            allowed=REGISTRY_READERS,
            setup=quality_issue,
            marker=QUALITY_NUMBER,
            shown_to=BUSINESS_OVER_VILLAGE - {"department_user"},
        ),
    ]


class TestMonitoringApiRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/api/v1/warnings",
            api=True,
            allowed=BUSINESS_PERSONAS,
            setup=warning_ids,
            marker=NUMBER,
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        Route(
            "/api/v1/warnings/{pk}",
            api=True,
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            setup=warning_ids,
            marker=NUMBER,
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        Route(
            "/api/v1/warnings/{pk}/answer",
            api=True,
            method="post",
            data={"status": "excluded", "reason": "已由商业保险理赔"},
            allowed=ANSWERERS,
            outside=frozenset({"other_village_cadre"}),
            setup=warning_ids,
            state=warning_state,
        ),
        Route(
            "/api/v1/screening/rules",
            api=True,
            allowed=BUSINESS_PERSONAS,
            setup=rules_present,
            marker="MED-01",
            shown_to=BUSINESS_PERSONAS,
        ),
    ]
