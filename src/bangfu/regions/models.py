"""Administrative regions (行政区划) with 12-digit statistical codes."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.regions.codes import Level, level_of, parent_code, prefix_of
from bangfu.regions.scoping import ScopedQuerySet


class RegionQuerySet(ScopedQuerySet["Region"]):
    region_field = "code"
    # Every role, departments included, works within the region tree.
    shared_across_sectors = True


class Region(models.Model):
    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.level = level_of(self.code)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def prefix(self) -> str:
        """The scope prefix: every code under this region starts with it."""
        return prefix_of(self.code)

    def ancestors(self) -> list[Region]:
        """From the province down to the parent, in one query."""
        # Walk parent_code rather than one code per level: towns of a city without counties (东莞市 4419)
        # hang directly under the city, whose county-level code would repeat the city's.
        codes: list[str] = []
        code = parent_code(self.code)
        while code is not None:
            codes.insert(0, code)
            code = parent_code(code)
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]
