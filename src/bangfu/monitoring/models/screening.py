"""Screening (部门筛查预警): rules kept as data, the warnings (预警线索) they raise, and the runs.

A ``ScreeningRule`` names the facts it reads (a kind of department data, or the registry's income
statements), a condition written in the small vocabulary of ``rules`` (thresholds taken from the policy
tables on the screening day, for the household's region) and the risk type it points to; it is in force for
an effective period, and a province adds or changes one without code (a change is a new row with a later
``effective_from``; the earlier stays as it was, so past runs remain explainable).

A ``ScreeningWarning`` is one household's risk episode for one rule — the same facts never warn twice
(``episode``: a digest of the facts' natural keys, unique per rule code and household) — routed to the
household's village with a feedback deadline, carrying the exact facts that triggered it. The village
answers it: include (an identification case follows), exclude with a reason, or return it to the department
as a data error.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.models import Sector
from bangfu.datasets.models import DatasetKind
from bangfu.regions.scoping import ScopedQuerySet
from bangfu.registry.models import Household

# What a rule reads: one kind of department data, or the registry's income statements.
INCOME_SOURCE = "income"
SOURCE_CHOICES = [*DatasetKind.choices, (INCOME_SOURCE, _("农户收支情况"))]


class ScreeningRuleQuerySet(models.QuerySet["ScreeningRule"]):
    def in_force(self, on: object) -> ScreeningRuleQuerySet:
        """Rows in force on ``on``; ``screening.rules_in_force`` picks the latest version per code."""
        return self.filter(effective_from__lte=on).filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on)
        )


class ScreeningRule(models.Model):
    """One version of a screening rule (see the module docstring and ``rules`` for ``condition``)."""

    code = models.CharField(_("规则编码"), max_length=32)
    name = models.CharField(_("规则名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    source = models.CharField(_("数据来源"), max_length=16, choices=SOURCE_CHOICES)
    condition = models.JSONField(_("条件"))
    risk_type = models.CharField(_("风险类型"), max_length=32)
    # Facts dated within this many days before the screening day are considered.
    window_days = models.PositiveIntegerField(_("回溯天数"), default=365)
    region_prefix = models.CharField(_("适用范围"), max_length=12, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScreeningRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("筛查规则")
        verbose_name_plural = _("筛查规则")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["code", "region_prefix", "effective_from"], name="monitoring_rule_version"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="monitoring_rule_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WarningStatus(models.TextChoices):
    NEW = "new", _("待核查")
    INCLUDED = "included", _("已纳入识别")
    EXCLUDED = "excluded", _("已排除")
    RETURNED = "returned", _("退回部门（数据有误）")


# The allowed answers: a warning is answered once (DESIGN §4.4: transitions declared once per workflow).
WARNING_TRANSITIONS: dict[str, frozenset[str]] = {
    WarningStatus.NEW: frozenset({WarningStatus.INCLUDED, WarningStatus.EXCLUDED, WarningStatus.RETURNED}),
    WarningStatus.INCLUDED: frozenset(),
    WarningStatus.EXCLUDED: frozenset(),
    WarningStatus.RETURNED: frozenset(),
}


class ScreeningWarningQuerySet(ScopedQuerySet["ScreeningWarning"]):
    # A department sees the warnings its own data raised.
    sector_field = "sector"


class ScreeningWarning(models.Model):
    """预警线索: one household's risk episode found by one rule, routed to its village."""

    # Indexed by the unique (household, rule code, episode) below: a screening writes a warning per row
    # of 100,000s, and each index more is a write more (bench/screening.py).
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="warnings", db_index=False
    )
    region_code = models.CharField(_("所在村"), max_length=12)
    # Rule versions are never deleted (PROTECT): no index for the reverse lookup.
    rule = models.ForeignKey(ScreeningRule, on_delete=models.PROTECT, related_name="warnings", db_index=False)
    rule_code = models.CharField(_("规则编码"), max_length=32)
    risk_type = models.CharField(_("风险类型"), max_length=32)
    # The sector whose data raised it ("" for a rule over the registry itself).
    sector = models.CharField(_("推送部门"), max_length=32, choices=Sector.choices, blank=True)
    episode = models.CharField(max_length=64, editable=False)
    facts = models.JSONField(_("触发依据"))
    screened_on = models.DateField(_("筛查日期"))
    due_on = models.DateField(_("反馈期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=WarningStatus.choices, default=WarningStatus.NEW
    )
    answer_reason = models.CharField(_("核查说明"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    answered_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScreeningWarningQuerySet.as_manager()

    class Meta:
        verbose_name = _("预警线索")
        verbose_name_plural = _("预警线索")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["household", "rule_code", "episode"], name="monitoring_warning_once"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["region_code", "status", "due_on"], name="monitoring_warning_inbox"),
            models.Index(fields=["sector", "region_code", "id"], name="monitoring_warning_sector"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.household_id}"


class ScreeningRun(models.Model):
    """One run of the rules: when, as of which day, and what it found (per rule and per county)."""

    as_of = models.DateField(_("筛查日期"))
    region_prefix = models.CharField(_("范围"), max_length=12, blank=True)
    dry_run = models.BooleanField(_("仅预览"), default=False)
    counts = models.JSONField(_("结果"), default=dict)
    created_warnings = models.PositiveIntegerField(_("新增预警"), default=0)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("筛查记录")
        verbose_name_plural = _("筛查记录")

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m-%d}"


class QualityIssueQuerySet(ScopedQuerySet["QualityIssue"]):
    """Registry data to fix: the registry's readers see their scope's; departments none (no sector)."""


class QualityIssue(models.Model):
    """One finding of the nightly data-quality checks (``quality``): what to fix in which household (and
    member). The list is rebuilt by each run, so a fixed record drops off the next morning."""

    code = models.CharField(_("核查项"), max_length=8)
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(
        "registry.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    region_code = models.CharField(_("所在村"), max_length=12)
    found_on = models.DateField(_("发现日期"))

    objects = QualityIssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("数据质量问题")
        verbose_name_plural = _("数据质量问题")
        indexes: ClassVar = [
            models.Index(fields=["region_code", "code", "household"], name="monitoring_quality_village")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.household_id}"
