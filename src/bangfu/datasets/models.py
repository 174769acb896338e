"""Sector departments' data (部门数据): each upload is a version of one kind of dataset for a period, its rows
matched to the registry's members by the blind index of the ID number.

A ``DatasetRecord`` keeps what the screening rules read in typed columns shared by every kind (``layouts``
says which column of a department's sheet fills which): the day of the fact (``event_date``), a period
(``start_date``/``end_date``), amounts, a category and a grade from the kind's code table, and free text. The
ID number is stored encrypted with its blind index, never in clear; the name as the department wrote it (to
show a mismatch with the registry).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.models import Sector
from bangfu.core.fields import EncryptedTextField
from bangfu.regions.scoping import ScopedQuerySet
from bangfu.registry.models import Household, ImportRun, Member


class DatasetKind(models.TextChoices):
    MEDICAL = "medical", _("医保住院费用")
    ASSISTANCE = "assistance", _("低保特困及低保边缘")
    HOUSING = "housing", _("农房安全鉴定")
    SCHOOL = "school", _("学籍及疑似辍学")
    DISASTER = "disaster", _("灾害损失")
    DISABILITY = "disability", _("残疾人证")
    DEATH = "death", _("死亡及火化")
    EMPLOYMENT = "employment", _("失业及断缴")
    ASSETS = "assets", _("财产信息比对")


# The sectors whose users upload and read each kind (谁主管谁负责); city and county offices upload any kind.
SECTORS: dict[str, frozenset[str]] = {
    DatasetKind.MEDICAL: frozenset({Sector.MEDICAL_INSURANCE}),
    DatasetKind.ASSISTANCE: frozenset({Sector.CIVIL_AFFAIRS}),
    DatasetKind.HOUSING: frozenset({Sector.HOUSING}),
    DatasetKind.SCHOOL: frozenset({Sector.EDUCATION}),
    DatasetKind.DISASTER: frozenset({Sector.EMERGENCY}),
    DatasetKind.DISABILITY: frozenset({Sector.DISABLED_PERSONS}),
    DatasetKind.DEATH: frozenset({Sector.PUBLIC_SECURITY, Sector.CIVIL_AFFAIRS}),
    DatasetKind.EMPLOYMENT: frozenset({Sector.HUMAN_RESOURCES}),
    DatasetKind.ASSETS: frozenset({Sector.AGRICULTURE}),
}


class MatchStatus(models.TextChoices):
    MATCHED = "matched", _("已匹配")
    NAME_DIFFERS = "name_differs", _("姓名不一致")
    FORMER_MEMBER = "former_member", _("已离户人员")
    UNMATCHED = "unmatched", _("未匹配")


class DatasetVersionQuerySet(ScopedQuerySet["DatasetVersion"]):
    sector_field = "sector"


class DatasetVersion(models.Model):
    """One upload of one kind of data for a period (数据期间): numbered per kind and region, immutable once
    stored; a later upload for the same period is a new version, the earlier one kept."""

    kind = models.CharField(_("数据类型"), max_length=16, choices=DatasetKind.choices)
    sector = models.CharField(_("行业"), max_length=32, choices=Sector.choices)
    region_code = models.CharField(_("数据范围"), max_length=12)
    number = models.PositiveIntegerField(_("版本号"))
    period_start = models.DateField(_("数据期间起"))
    period_end = models.DateField(_("数据期间止"))
    run = models.OneToOneField(ImportRun, on_delete=models.PROTECT, related_name="dataset_version")
    # False once a later upload for the same kind, region and period replaces it (screening reads current).
    is_current = models.BooleanField(_("现行版本"), default=True)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    matched_count = models.PositiveIntegerField(_("已匹配"), default=0)
    name_differs_count = models.PositiveIntegerField(_("姓名不一致"), default=0)
    former_member_count = models.PositiveIntegerField(_("已离户人员"), default=0)
    unmatched_count = models.PositiveIntegerField(_("未匹配"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = DatasetVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门数据版本")
        verbose_name_plural = _("部门数据版本")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "region_code", "number"], name="datasets_version_number"),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")), name="datasets_version_period"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["kind", "region_code", "-period_end"], name="datasets_version_latest")
        ]

    def __str__(self) -> str:
        period = f"{self.period_start:%Y-%m-%d}—{self.period_end:%Y-%m-%d}"
        return f"{self.get_kind_display()} {period} v{self.number}"


class DatasetRecordQuerySet(ScopedQuerySet["DatasetRecord"]):
    sector_field = "sector"


class DatasetRecord(models.Model):
    """One row of a department's file, typed, with the member it matched (if any)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("数据类型"), max_length=16, choices=DatasetKind.choices)
    sector = models.CharField(_("行业"), max_length=32, choices=Sector.choices)
    # The matched household's village; the version's region while unmatched.
    region_code = models.CharField(_("所在村"), max_length=12)
    row = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    id_number = EncryptedTextField(_("证件号码"), kind="id_number")
    id_number_index = models.CharField(max_length=64, editable=False)
    match = models.CharField(
        _("匹配结果"), max_length=16, choices=MatchStatus.choices, default=MatchStatus.UNMATCHED
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    event_date = models.DateField(_("日期"), null=True, blank=True)
    start_date = models.DateField(_("起始日期"), null=True, blank=True)
    end_date = models.DateField(_("截止日期"), null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    total_amount = models.DecimalField(_("总金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    category = models.CharField(_("类别"), max_length=24, blank=True)
    grade = models.CharField(_("等级"), max_length=8, blank=True)
    text = models.CharField(_("单位/说明"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = DatasetRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门数据记录")
        verbose_name_plural = _("部门数据记录")
        indexes: ClassVar = [
            models.Index(fields=["version", "row"], name="datasets_record_row"),
            models.Index(fields=["kind", "household", "event_date"], name="datasets_record_household"),
            models.Index(fields=["id_number_index"], name="datasets_record_person"),
            models.Index(fields=["region_code", "id"], name="datasets_record_region"),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.row}"
