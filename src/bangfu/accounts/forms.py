"""Forms of the accounts pages. They parse and check single fields; the rules live in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bangfu.accounts import services
from bangfu.accounts.models import Role, Sector, User
from bangfu.regions.codes import is_valid_code
from bangfu.regions.models import Region


class StyledForm(forms.Form):
    """Adds Bootstrap's control classes to every widget, since templates may not use ``style=``/inline CSS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
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

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.update({"autocomplete": "current-password"})
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs.update({"autocomplete": "new-password"})

    def clean_old_password(self) -> str:
        old: str = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise ValidationError(_("当前密码不正确。"), code="password_incorrect")
        return old

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new1, new2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error(
                "new_password2", ValidationError(_("两次输入的新密码不一致。"), code="password_mismatch")
            )
        return cleaned


class RegionCodeField(forms.CharField):
    """The region picker's value: a 12-digit statistical code of a loaded region (empty -> None)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "data-region-picker": "true"})

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


class _ScopeForm(StyledForm):
    """Role, region and sector, checked together by ``services.check_role_scope``."""

    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region = RegionCodeField(label=_("管辖区域"), help_text=_("12位区划代码；管理员角色（三员）留空。"))
    sector = forms.ChoiceField(label=_("行业"), choices=[("", "—"), *Sector.choices], required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "role" in cleaned and "region" in cleaned and "sector" in cleaned:
            try:
                services.check_role_scope(
                    role=cleaned["role"], region=cleaned["region"], sector=cleaned["sector"]
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
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    unit = forms.CharField(label=_("单位"), max_length=100, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False)

    field_order = ("full_name", "unit", "role", "region", "sector", "is_active")


class UserSearchForm(StyledForm):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("角色"), choices=[("", _("全部角色")), *Role.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"placeholder": _("用户名、姓名或单位"), "type": "search"})
