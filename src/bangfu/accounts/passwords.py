"""Password policy validators for 等保三级: character classes and no reuse of recent passwords.

Both plug into ``AUTH_PASSWORD_VALIDATORS``, so every path that validates a password (the change-password
page, the security admin's reset, ``bangfu create-user``) applies the same rules through
``django.contrib.auth.password_validation.validate_password``. Recording history is not done here but in
``accounts.services.set_password``: a validator's ``password_changed`` hook would fire on any
``User.save()`` and hide a write behind a side effect.
"""

from __future__ import annotations

import string
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

# The four classes 等保 guidance counts; anything not a letter or digit (including CJK) counts as a symbol.
_CLASSES: tuple[tuple[str, Any], ...] = (
    ("lower", lambda c: c in string.ascii_lowercase),
    ("upper", lambda c: c in string.ascii_uppercase),
    ("digit", lambda c: c in string.digits),
    ("symbol", lambda c: not (c in string.ascii_letters or c in string.digits or c.isspace())),
)


def character_classes(password: str) -> set[str]:
    """The names of the character classes present in ``password``."""
    return {name for name, test in _CLASSES if any(test(c) for c in password)}


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with a Chinese message of its own.

    Django 5.2 changed this message's msgid and its zh-Hans catalogue has not caught up, so the stock
    validator answers in English on a Chinese page.
    """

    def get_error_message(self) -> str:
        return ngettext(
            "密码太短，至少需要%(count)d个字符。", "密码太短，至少需要%(count)d个字符。", self.min_length
        ) % {"count": self.min_length}

    def get_help_text(self) -> str:
        return ngettext("密码至少需要%(count)d个字符。", "密码至少需要%(count)d个字符。", self.min_length) % {
            "count": self.min_length
        }


class CharacterClassValidator:
    """At least ``min_classes`` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(
                ngettext(
                    "密码须包含小写字母、大写字母、数字、符号中的至少%(count)d类。",
                    "密码须包含小写字母、大写字母、数字、符号中的至少%(count)d类。",
                    self.min_classes,
                ),
                code="password_too_few_character_classes",
                params={"count": self.min_classes},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "密码须包含小写字母、大写字母、数字、符号中的至少%(count)d类。",
            "密码须包含小写字母、大写字母、数字、符号中的至少%(count)d类。",
            self.min_classes,
        ) % {"count": self.min_classes}


class PasswordHistoryValidator:
    """Refuses the user's current password and the last ``history`` passwords (``PasswordHistory`` rows)."""

    def __init__(self, history: int = 5) -> None:
        self.history = history

    def validate(self, password: str, user: Any = None) -> None:
        # A user not saved yet has no history; creating one validates only the other rules.
        if user is None or getattr(user, "pk", None) is None:
            return
        # The current hash counts too: accounts created before history existed still may not "change" to
        # the same password.
        hashes = [user.password] if user.password else []
        hashes += list(user.password_history.values_list("password", flat=True)[: self.history])
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                ngettext(
                    "新密码不能与最近%(count)d次使用过的密码相同。",
                    "新密码不能与最近%(count)d次使用过的密码相同。",
                    self.history,
                ),
                code="password_reused",
                params={"count": self.history},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "新密码不能与最近%(count)d次使用过的密码相同。",
            "新密码不能与最近%(count)d次使用过的密码相同。",
            self.history,
        ) % {"count": self.history}
