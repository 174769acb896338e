"""Errors of the policy app; each carries a Chinese message fit to show a user or return from the API."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _


class PolicyError(LookupError):
    """Base class: ``code`` is the stable machine code used by the API, ``message`` the Chinese text."""

    code = "policy_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownPolicyKey(PolicyError):
    """The key is not in the catalogue (``bangfu.policy.catalogue``)."""

    code = "unknown_policy_key"

    def __init__(self, key: str) -> None:
        super().__init__(_("未知的政策参数：“%(key)s”。请检查参数名称是否正确。") % {"key": key})
        self.key = key


class PolicyNotSet(PolicyError):
    """No version of a known key applies to the region on the date."""

    code = "policy_not_set"

    def __init__(self, *, key: str, label: str, region_prefix: str, on: dt.date) -> None:
        where = _("区划%(prefix)s") % {"prefix": region_prefix} if region_prefix else _("全国")
        super().__init__(
            _("政策参数“%(label)s”（%(key)s）在 %(on)s 对%(where)s没有生效的取值，请市指挥部先录入。")
            % {"label": label, "key": key, "on": on.isoformat(), "where": where}
        )
        self.key = key
        self.region_prefix = region_prefix
        self.on = on


class NotADeadline(PolicyError):
    """A deadline was asked of a key whose value is not a duration in days."""

    code = "not_a_deadline"

    def __init__(self, *, key: str, label: str) -> None:
        super().__init__(
            _("政策参数“%(label)s”（%(key)s）不是期限（天数），不能用于计算截止日期。")
            % {"label": label, "key": key}
        )
        self.key = key


class InvalidRegion(PolicyError, ValueError):
    """A region given for a lookup is not a statistical code or a valid code prefix."""

    code = "invalid_region"

    def __init__(self, region: str) -> None:
        super().__init__(
            _("区划“%(region)s”无效：应为12位统计用区划代码，或2、4、6、9、12位的区划前缀。")
            % {"region": region}
        )
        self.region = region
