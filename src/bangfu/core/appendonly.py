"""Append-only models: rows written once, never changed or removed through the ORM (DESIGN.md §4.6, §4.7).

Policy versions, official calendar years and audit events share one rule: a correction is a new row. The
model refuses to save a stored row again and to delete one; its queryset refuses the set-level writes
(``update``, ``delete``, ``bulk_update``) that would bypass ``save()``. Changes made behind the ORM's back
(raw SQL, a database console) are not prevented here; the audit trail detects them with its hash chain.

    class Thing(AppendOnlyModel):
        objects = AppendOnlyQuerySet["Thing"].as_manager()
"""

from __future__ import annotations

from typing import Any, Generic, NoReturn, TypeVar

from django.db import models
from django.utils.translation import gettext as _

_M = TypeVar("_M", bound=models.Model)


class AppendOnlyError(RuntimeError):
    """Code tried to change or remove a stored row of an append-only model; ``message`` is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def change(cls, model: type[models.Model], pk: Any = None) -> AppendOnlyError:
        return cls(
            _("“%(model)s”只能追加新记录，不能修改已保存的记录%(row)s；更正请新增一条记录。")
            % {"model": model._meta.verbose_name, "row": _row(pk)}
        )

    @classmethod
    def removal(cls, model: type[models.Model], pk: Any = None) -> AppendOnlyError:
        return cls(
            _("“%(model)s”只能追加新记录，不能删除已保存的记录%(row)s。")
            % {"model": model._meta.verbose_name, "row": _row(pk)}
        )


def _row(pk: Any) -> str:
    return "" if pk is None else _("（编号 %(pk)s）") % {"pk": pk}


class AppendOnlyQuerySet(models.QuerySet[_M], Generic[_M]):
    """Refuses set-level writes that would change or remove stored rows. ``bulk_create`` of new rows stays
    possible (seeding); a model that must not allow even that overrides it."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError.change(self.model)

    def delete(self) -> NoReturn:
        raise AppendOnlyError.removal(self.model)

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError.change(self.model)


class AppendOnlyModel(models.Model):
    """A model whose rows are inserted once: ``save()`` of a stored row and ``delete()`` are refused."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # force_update / update_fields would turn even a new instance's save into an UPDATE.
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError.change(self._meta.model, self.pk)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError.removal(self._meta.model, self.pk)
