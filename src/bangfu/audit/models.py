"""Append-only, hash-chained audit events (DESIGN.md §4.6).

Rows are written only through ``bangfu.audit.events`` (named constructors), which call
``bangfu.audit.chain.append``. The model is append-only (``bangfu.core.appendonly``): it refuses updates and
deletes so that no ORM code path changes history by accident; a change made behind the ORM's back (raw SQL,
a database console) is what ``bangfu audit verify`` detects through the SM3 hash chain.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.core.appendonly import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet
from bangfu.regions.scoping import scope_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# The hash a chain starts from: the first event's prev_hash.
GENESIS_HASH = "0" * 64


class Action(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    REVEAL = "reveal", _("查看完整个人信息")
    EXPORT = "export", _("导出")
    SECURITY = "security", _("安全管理")


class AuditEventQuerySet(AppendOnlyQuerySet["AuditEvent"]):
    """Reads of the audit trail; writes other than ``chain.append`` are refused."""

    def visible_to(self, user: Any | AnonymousUser) -> AuditEventQuerySet:
        """三员分立: only an active auditor reads the audit trail; everyone else sees nothing."""
        from bangfu.accounts.models import Role
        from bangfu.accounts.permissions import has_role

        return self.all() if has_role(user, Role.AUDITOR) else self.none()

    def matching(
        self,
        *,
        username: str = "",
        action: str = "",
        object_type: str = "",
        object_id: str = "",
        region_prefix: str = "",
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> AuditEventQuerySet:
        """Events matching the auditor's filters; empty arguments do not filter. Dates are whole local
        days (Asia/Shanghai), ``date_to`` included."""
        qs = self
        if username:
            qs = qs.filter(actor_username=username)
        if action:
            qs = qs.filter(action=action)
        if object_type:
            qs = qs.filter(object_type=object_type)
        if object_id:
            qs = qs.filter(object_id=object_id)
        if region_prefix:
            qs = qs.filter(scope_q("region_code", [region_prefix]))
        if date_from:
            qs = qs.filter(created_at__gte=_local_midnight(date_from))
        if date_to:
            qs = qs.filter(created_at__lt=_local_midnight(date_to + timedelta(days=1)))
        return qs

    def page(self, *, before: int | None, size: int) -> tuple[list[AuditEvent], int | None]:
        """One page, newest first, of events older than seq ``before`` (keyset pagination: no OFFSET, so
        page 10,000 costs what page 1 costs). Returns the events and the cursor of the next page."""
        qs = self.order_by("-seq")
        if before is not None:
            qs = qs.filter(seq__lt=before)
        rows: list[AuditEvent] = list(qs[: size + 1])
        if len(rows) > size:
            return rows[:size], rows[size - 1].seq
        return rows, None

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        # Bulk inserts would bypass the chain head lock and the hash computation.
        raise AppendOnlyError(str(_("审计记录必须逐条通过审计链写入。")))


class AuditEvent(AppendOnlyModel):
    """One thing that happened: who did what to which object, when and from where."""

    # An explicit sequence taken from the chain head under its lock, not an auto-increment: a rolled-back
    # transaction would leave a gap in a database sequence, and gaps are how removed rows are detected.
    seq = models.BigIntegerField(_("序号"), primary_key=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    # The link to the account is a convenience and may be cleared if an account is ever deleted; the
    # username snapshot is what the hash covers.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作类型"), max_length=32, choices=Action.choices)
    # The specific operation of a security event (role_changed, scope_changed, token_created, lockout…).
    operation = models.CharField(_("具体操作"), max_length=64, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    ip = models.CharField(_("IP地址"), max_length=45, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=255, blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(_("前序哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ("-seq",)
        # Each filter of the auditor screen is served by an index that also orders by seq (keyset pages).
        indexes = (
            models.Index(fields=["actor_username", "seq"], name="audit_actor_seq_idx"),
            models.Index(fields=["action", "seq"], name="audit_action_seq_idx"),
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_seq_idx"),
            models.Index(fields=["region_code", "seq"], name="audit_region_seq_idx"),
        )

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()} {self.object_repr}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Always a plain INSERT: with an explicit primary key Django would otherwise try an UPDATE first.
        # (AppendOnlyModel.save refuses a stored row, or force_update/update_fields, before inserting.)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    @property
    def before(self) -> dict[str, Any]:
        value = self.data.get("before") if isinstance(self.data, dict) else None
        return value if isinstance(value, dict) else {}

    @property
    def after(self) -> dict[str, Any]:
        value = self.data.get("after") if isinstance(self.data, dict) else None
        return value if isinstance(value, dict) else {}


class AuditChainHead(models.Model):
    """The single row holding the chain's last sequence number and hash.

    Appenders lock this row (``select_for_update``) so that events are chained one after another; the
    verifier compares the last event with it, which detects rows removed from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(_("最后序号"), default=0)
    last_hash = models.CharField(_("最后哈希"), max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(_("更新时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        constraints = (models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_single_row"),)

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"
