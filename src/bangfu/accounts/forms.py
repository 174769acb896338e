"""Forms of the accounts pages. They parse and check single fields; the rules live in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bangfu.accounts import services, tokens
from bangfu.accounts.models import BUSINESS_ROLES, Role, Sector, User
from bangfu.regions.codes import Level, is_valid_code
from bangfu.regions.models import Region

# The roles the security admin may give on the web: 三员 accounts come only from ``bangfu create-user``.
BUSINESS_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in BUSINESS_ROLES]


class StyledForm(forms.Form):
    """Adds Bootstrap's control classes to every widget, since templates may not use ``style=``/inline CSS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class LoginForm(StyledForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TokenForm(StyledForm):
    """A 6-digit TOTP code; spaces typed between the groups of three are tolerated."""

    token = forms.CharField(label=_("动态口令"), max_length=12)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not (len(token) == 6 and token.isascii() and token.isdigit()):
            raise ValidationError(_("动态口令是6位数字。"), code="token_format")
        return token


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(label=_("当前密码"), strip=False, widget=forms.PasswordInput)
    new_password1 = forms.CharField(label=_("新密码"), strip=False, widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("再次输入新密码"), strip=False, widget=forms.PasswordInput)

    """The fields only: the current password is checked by ``services.check_current_password`` in the view,
    so that django-axes counts wrong guesses like failed log-ins."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.update({"autocomplete": "current-password"})
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs.update({"autocomplete": "new-password"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new1, new2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error(
                "new_password2", ValidationError(_("两次输入的新密码不一致。"), code="password_mismatch")
            )
        return cleaned


class RegionSearchInput(forms.TextInput):
    """A code input whose suggestions (a ``<datalist>``) come from ``accounts:region-search`` as one types.

    The regions app's drill-down picker cannot serve here: it starts from the user's own scope, and the
    security admin, an admin role, has none (``visible_to`` is empty for 三员).
    """

    template_name = "accounts/widgets/region_search_input.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        options_id = f"{widget_attrs.get('id') or name}-options"
        widget_attrs.update(
            {
                "list": options_id,
                "autocomplete": "off",
                "hx-get": reverse("accounts:region-search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": f"#{options_id}",
                "hx-swap": "innerHTML",
            }
        )
        context["options_id"] = options_id
        return context


class RegionCodeField(forms.CharField):
    """A 12-digit statistical code of a loaded region, typed or picked from the search (empty -> None)."""

    widget = RegionSearchInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Region):
            return value.code
        return value

    def clean(self, value: Any) -> Region | None:
        code: str = super().clean(value)
        if not code:
            return None
        if not is_valid_code(code):
            raise ValidationError(
                _("区划代码必须是12位数字：%(code)s"), code="region_format", params={"code": code}
            )
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise ValidationError(_("区划代码不存在：%(code)s"), code="region_unknown", params={"code": code})
        return region


class CountiesField(forms.ModelMultipleChoiceField):
    """An inspection group's assigned counties: checkboxes of the loaded county-level regions."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": _("督查区域必须是已加载的县级区划代码：%(value)s"),
                "invalid_pk_value": _("督查区域的区划代码无效：%(pk)s"),
            },
        )
        queryset = Region.objects.filter(level=Level.COUNTY).select_related("parent").order_by("code")
        super().__init__(queryset=queryset, **kwargs)

    def label_from_instance(self, obj: Region) -> str:
        parent = obj.parent
        return f"{parent.name} · {obj.name}" if parent is not None else obj.name


class _ScopeForm(StyledForm):
    """Role, region, sector and assigned counties, checked together by ``services.check_role_scope``.

    Only business roles are offered: admin-role (三员) accounts are created on the server.
    """

    role = forms.ChoiceField(
        label=_("角色"),
        choices=BUSINESS_ROLE_CHOICES,
        error_messages={
            "invalid_choice": _(
                "角色无效：%(value)s。三员（审计员、安全管理员、系统管理员）账号只能在服务器上用 "
                "bangfu create-user 命令创建。"
            )
        },
    )
    region = RegionCodeField(label=_("管辖区域"), help_text=_("输入区划名称或代码查找，填12位区划代码。"))
    sector = forms.ChoiceField(label=_("行业"), choices=[("", "—"), *Sector.choices], required=False)
    assigned_regions = CountiesField(label=_("督查区域"), help_text=_("仅督查组：所督查的县（区）。"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scope_fields = ("role", "region", "sector", "assigned_regions")
        if all(name in cleaned for name in scope_fields):
            try:
                services.check_role_scope(
                    role=cleaned["role"],
                    region=cleaned["region"],
                    sector=cleaned["sector"],
                    assigned_regions=list(cleaned["assigned_regions"]),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return cleaned


class UserCreateForm(_ScopeForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    unit = forms.CharField(label=_("单位"), max_length=100, required=False)

    field_order = ("username", "full_name", "unit", "role", "region", "sector")

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username=username).exists():
            raise ValidationError(
                _("用户名已存在：%(username)s"), code="username_taken", params={"username": username}
            )
        return username


class UserEditForm(_ScopeForm):
    """Edits a user; for an admin-role account (三员) only name, unit and active flag: its role and scope
    are not changed on the web."""

    full_name = forms.CharField(label=_("姓名"), max_length=50)
    unit = forms.CharField(label=_("单位"), max_length=100, required=False)
    may_reveal_personal_data = forms.BooleanField(
        label=_("可查看完整个人信息"),
        required=False,
        help_text=_("允许查看完整的身份证号码和电话号码；每次查看都记入审计日志。授予和收回都记入审计日志。"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False)

    field_order = (
        "full_name",
        "unit",
        "role",
        "region",
        "sector",
        "assigned_regions",
        "may_reveal_personal_data",
        "is_active",
    )
    # What an admin-role account (三员) never has set on the web: role, scope, and the reveal grant (三员 do
    # not read business data at all).
    SCOPE_FIELDS = ("role", "region", "sector", "assigned_regions", "may_reveal_personal_data")

    def __init__(self, *args: Any, target: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        # The grant starts from the account's own value (the view's initial data does not name it).
        self.fields["may_reveal_personal_data"].initial = target.may_reveal_personal_data
        if target.is_admin_role:
            for name in self.SCOPE_FIELDS:
                del self.fields[name]

    def scope(self) -> dict[str, Any]:
        """What the user may see, to save: role, scope and the reveal grant — the form's, or the account's
        own for an admin role (the grant then left as it is)."""
        if self.target.is_admin_role:
            return {
                "role": self.target.role,
                "region": self.target.region,
                "sector": self.target.sector,
                "assigned_regions": None,
                "may_reveal_personal_data": None,
            }
        return {
            "role": self.cleaned_data["role"],
            "region": self.cleaned_data["region"],
            "sector": self.cleaned_data["sector"],
            "assigned_regions": list(self.cleaned_data["assigned_regions"]),
            "may_reveal_personal_data": self.cleaned_data["may_reveal_personal_data"],
        }


class UserSearchForm(StyledForm):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("角色"), choices=[("", _("全部角色")), *Role.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"placeholder": _("用户名、姓名或单位"), "type": "search"})


class ApiTokenForm(StyledForm):
    """A new API token of one's own: what it is for and how many days it lasts (at most the setting)."""

    name = forms.CharField(label=_("用途"), max_length=100, help_text=_("例如：医保数据对接脚本"))
    days = forms.IntegerField(label=_("有效天数"), min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = tokens.default_days()
        days = self.fields["days"]
        days.initial = limit
        days.validators.append(MaxValueValidator(limit))
        days.widget.attrs.update({"max": limit, "min": 1})
        days.help_text = _("最长%(days)d天。") % {"days": limit}
