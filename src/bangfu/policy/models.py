"""Policy parameters and official calendar years: append-only, versioned data (DESIGN.md §4.2, §4.7).

A change is a new row, never an edit (``bangfu.core.appendonly``): ``save()`` refuses to update a stored row
and ``delete()`` refuses to remove one, so that the value in force on any past date can always be
reconstructed and shown with its source.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _

from bangfu.core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from bangfu.core.workdays import YearSchedule
from bangfu.regions.codes import PREFIX_LENGTH
from bangfu.regions.scoping import scope_q

# Lengths of a valid region prefix: everywhere (""), then 省, 市, 县, 乡, 村 as regions.codes defines them.
PREFIX_LENGTHS: tuple[int, ...] = (0, *sorted(PREFIX_LENGTH.values()))


def enclosing_prefixes(prefix: str) -> list[str]:
    """Every prefix that encloses the scope prefix ``prefix``, from everywhere ("") down to ``prefix`` itself:
    "610902" -> ["", "61", "6109", "610902"]."""
    return [prefix[:n] for n in PREFIX_LENGTHS if n <= len(prefix)]


class PolicyValueQuerySet(AppendOnlyQuerySet["PolicyValue"]):
    def applicable(self, *, keys: list[str], prefixes: list[str], on: dt.date) -> PolicyValueQuerySet:
        """Versions of ``keys`` that could apply to a region with these candidate ``prefixes`` on ``on``."""
        return self.filter(key__in=keys, region_prefix__in=prefixes, effective_from__lte=on)

    def relevant_to(self, prefixes: list[str]) -> PolicyValueQuerySet:
        """Versions that matter to someone whose scope is ``prefixes``: rows set for an enclosing area (incl.
        everywhere) or for an area inside the scope. A county clerk does not see another county's rows."""
        enclosing = {outer for p in prefixes for outer in enclosing_prefixes(p)}
        return self.filter(models.Q(region_prefix__in=enclosing) | scope_q("region_prefix", prefixes))


class PolicyValue(AppendOnlyModel):
    """One version of a policy parameter for a region prefix, in force from a date."""

    key = models.CharField(_("参数"), max_length=64)
    region_prefix = models.CharField(
        _("适用区划"), max_length=12, blank=True, help_text=_("区划代码前缀；留空表示全国通用。")
    )
    effective_from = models.DateField(_("生效日期"))
    value = models.JSONField(_("取值"))
    source_note = models.TextField(_("依据"), help_text=_("文件名称、文号、条款或网址。"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("系统预置的默认值为空。"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = PolicyValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("政策参数版本")
        verbose_name_plural = _("政策参数版本")
        ordering = ("key", "region_prefix", "-effective_from")
        constraints = (
            models.UniqueConstraint(
                fields=["key", "region_prefix", "effective_from"], name="policy_value_one_per_key_region_date"
            ),
            models.CheckConstraint(
                condition=In(Length("region_prefix"), list(PREFIX_LENGTHS)),
                name="policy_value_prefix_length",
            ),
            models.CheckConstraint(condition=~models.Q(source_note=""), name="policy_value_has_source"),
        )

    def __str__(self) -> str:
        return f"{self.key}@{self.region_prefix or '*'}≥{self.effective_from}"

    @property
    def region_code(self) -> str:
        """The region the version applies to, so that the audit trail can be filtered by region."""
        return self.region_prefix


class OfficialCalendarYearQuerySet(AppendOnlyQuerySet["OfficialCalendarYear"]):
    def latest_versions(self) -> list[OfficialCalendarYear]:
        """The version in force of each entered year (the latest), newest year first, in one query."""
        latest: dict[int, OfficialCalendarYear] = {}
        for row in self.order_by("-year", "-version"):
            latest.setdefault(row.year, row)
        return list(latest.values())

    def schedules(self, *, from_year: int | None = None) -> dict[int, YearSchedule]:
        """The latest entered version of each year (all years, or ``from_year`` on), in one query."""
        qs = self.order_by("year", "-version")
        if from_year is not None:
            qs = qs.filter(year__gte=from_year)
        latest: dict[int, YearSchedule] = {}
        for row in qs.only("year", "holidays", "workdays"):
            latest.setdefault(row.year, row.as_schedule())
        return latest


class OfficialCalendarYear(AppendOnlyModel):
    """A year's official holiday and make-up working-day schedule (国务院办公厅放假安排), entered from the
    State Council's notice. A correction is a new version of the year; the latest version wins."""

    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveIntegerField(_("版本"))
    holidays = models.JSONField(_("放假日期"), help_text=_("ISO 日期列表，含调休连休的周末。"))
    workdays = models.JSONField(_("调休上班日期"), help_text=_("ISO 日期列表，通常为周六或周日。"))
    source_note = models.TextField(_("依据"), help_text=_("通知名称、文号、发布日期或网址。"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = OfficialCalendarYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("官方放假安排")
        verbose_name_plural = _("官方放假安排")
        ordering = ("-year", "-version")
        constraints = (
            models.UniqueConstraint(fields=["year", "version"], name="calendar_year_one_per_version"),
            models.CheckConstraint(condition=~models.Q(source_note=""), name="calendar_year_has_source"),
        )

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"

    def holiday_dates(self) -> list[dt.date]:
        return [dt.date.fromisoformat(d) for d in self.holidays]

    def workday_dates(self) -> list[dt.date]:
        return [dt.date.fromisoformat(d) for d in self.workdays]

    def as_schedule(self) -> YearSchedule:
        return YearSchedule.of(self.year, holidays=self.holiday_dates(), workdays=self.workday_dates())
