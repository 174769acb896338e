"""Users, roles and region scope (DESIGN.md §1), with separation of duties (三员分立)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.regions.codes import prefix_of


class Role(models.TextChoices):
    CITY_HQ = "city_hq", _("市指挥部")
    COUNTY_OFFICE = "county_office", _("县区工作专班")
    DEPARTMENT = "department", _("行业部门")
    TOWN = "town", _("乡镇")
    VILLAGE_TEAM = "village_team", _("驻村工作队")
    INSPECTION_GROUP = "inspection_group", _("督查组")
    AUDITOR = "auditor", _("审计员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


class Sector(models.TextChoices):
    MEDICAL_INSURANCE = "medical_insurance", _("医保")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    HOUSING = "housing", _("住建")
    EDUCATION = "education", _("教育")
    WATER = "water", _("水利")
    EMERGENCY = "emergency", _("应急")
    DISABLED_PERSONS = "disabled_persons", _("残联")
    HUMAN_RESOURCES = "human_resources", _("人社")
    PUBLIC_SECURITY = "public_security", _("公安")
    AGRICULTURE = "agriculture", _("农业农村")


# 三员分立: the three administrator roles never read business data; they must use a second factor.
ADMIN_ROLES = frozenset({Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN})
# Roles whose work is business data within a region scope.
BUSINESS_ROLES = frozenset(set(Role) - ADMIN_ROLES)
# Instance attribute holding an inspection group's computed scope prefixes.
_SCOPE_CACHE = "_bangfu_scope_prefixes"


class User(AbstractUser):
    """A person's account. Business roles carry a region scope; departments also a sector."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("管辖区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("用户可见数据的范围：本区域及其下级。"),
    )
    sector = models.CharField(_("行业"), max_length=32, choices=Sector.choices, blank=True)
    # DESIGN.md §1: an inspection group supervises the counties it is assigned, beside its own region.
    assigned_regions = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("督查区域"),
        blank=True,
        related_name="+",
        help_text=_("仅督查组：所督查的县（区）。"),
    )
    # A grant by the security admin: see full ID numbers and phones (each reveal is an audit event).
    may_reveal_personal_data = models.BooleanField(
        _("可查看完整个人信息"),
        default=False,
        help_text=_("允许查看完整的身份证号码和电话号码；每次查看都记入审计日志。"),
    )
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    unit = models.CharField(_("单位"), max_length=100, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    # Set when someone else chose the password (reset by the security admin): the holder must replace it.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~models.Q(role="department") | ~models.Q(sector=""),
                name="department_user_has_sector",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    # --- the scoping protocol (bangfu.regions.scoping.ScopedUser) ---------------------------------------
    def reads_business_data(self) -> bool:
        return self.is_active and self.role in BUSINESS_ROLES and self.region_id is not None

    def scope_prefixes(self) -> list[str]:
        """The code prefixes this user may read: the region's own first, then (inspection groups only) the
        assigned counties not already inside it. One query for an inspection group, cached on the instance
        for as long as role and region stay the same (``services`` clears it when assignments change)."""
        if not self.reads_business_data():
            return []
        own = prefix_of(str(self.region_id))
        if self.role != Role.INSPECTION_GROUP:
            return [own]
        key = (self.role, self.region_id)
        cached: tuple[Any, list[str]] | None = self.__dict__.get(_SCOPE_CACHE)
        if cached is not None and cached[0] == key:
            return list(cached[1])
        prefixes = [own]
        for code in self.assigned_regions.order_by("code").values_list("code", flat=True):
            prefix = prefix_of(code)
            # A county inside the group's own region (or listed twice) adds nothing to the scope.
            if not any(prefix.startswith(kept) for kept in prefixes):
                prefixes.append(prefix)
        self.__dict__[_SCOPE_CACHE] = (key, prefixes)
        return list(prefixes)

    def forget_scope(self) -> None:
        """Drop the cached scope prefixes (after the assigned regions changed)."""
        self.__dict__.pop(_SCOPE_CACHE, None)

    def scope_sector(self) -> str | None:
        return self.sector or None if self.role == Role.DEPARTMENT else None

    @property
    def is_admin_role(self) -> bool:
        return self.role in ADMIN_ROLES


class PasswordHistory(models.Model):
    """Hashes of a user's previous passwords, so that the last five cannot be reused."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class ApiToken(models.Model):
    """A per-user API token; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    def is_expired(self, *, now: datetime) -> bool:
        return self.expires_at <= now
