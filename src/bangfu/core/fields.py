"""Model fields for personal data.

``EncryptedTextField(kind="id_number")`` stores an SM4 token (``bangfu.core.crypto``) in a text column and
gives the plaintext to Python: values are encrypted on save and decrypted on load. Because every value has
its own random nonce, the column cannot be searched by plaintext; every lookup except ``isnull`` raises
``FieldError``. Exact lookup goes through a blind index kept beside the field, by convention named
``<field>_index``::

    class Member(models.Model):
        id_number = EncryptedTextField(_("证件号码"), kind="id_number")
        id_number_index = models.CharField(max_length=64, db_index=True, editable=False)

    # in the service that writes the member
    member.id_number_index = blind_index(member.id_number, kind="id_number")
    # lookup
    Member.objects.filter(id_number_index=blind_index(raw, kind="id_number"))

Every token is bound to its column: the field encrypts and decrypts with the context
``"<app_label>.<model>.<field>"`` (``crypto_context``, e.g. ``"registry.member.id_number"``), so a token
copied from another column or model fails to decrypt instead of being read as this column's value.
Renaming the model, its app or the field changes the context: such a rename needs a data migration that
re-encrypts the column (decrypt under the old context, encrypt under the new).

``bangfu rotate-keys`` finds every such field through ``personal_kind`` and re-encrypts old rows;
``bangfu rotate-keys --reindex`` recomputes the ``<field>_index`` columns after the index key changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.db.models.lookups import IsNull, Lookup, Transform
from django.utils.translation import gettext as _

from bangfu.core import crypto

INDEX_SUFFIX = "_index"
# Lookups that never compare the stored token with a plaintext.
_ALLOWED_LOOKUPS = {"isnull"}


if TYPE_CHECKING:
    # django-stubs makes fields generic (set type, get type); at runtime TextField is not subscriptable.
    _TextFieldBase = models.TextField[str | None, str | None]
else:
    _TextFieldBase = models.TextField


class EncryptedTextField(_TextFieldBase):
    """A text column holding personal data of ``kind`` encrypted with SM4; see the module docstring.

    ``None`` is stored as NULL and ``""`` as an empty string: that a value is missing is not secret, and
    keeping it visible lets data-quality checks count missing values without decrypting.
    """

    description = "SM4-encrypted personal data"

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        # ``personal_kind`` tells audit, masking and key rotation what the field holds.
        self.personal_kind = kind
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.personal_kind
        return name, path, args, kwargs

    @property
    def index_field_name(self) -> str:
        """The conventional name of the blind-index column kept beside this field."""
        return f"{self.name}{INDEX_SUFFIX}"

    @property
    def crypto_context(self) -> str:
        """The context every token of this column is bound to: ``"<app_label>.<model>.<field>"``."""
        if not hasattr(self, "model"):
            raise TypeError(f"EncryptedTextField {self.name!r} is not attached to a model and has no context")
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        # A value that is already a token (a re-saved row after deserialisation, a loaded dump) is kept as
        # is, since encrypting it again would store a token of a token; but only once it is verified to be
        # this column's own token: one copied from another column or model is refused, not stored.
        if crypto.is_token(value):
            self._check_own_token(value)
            return value
        return crypto.encrypt(value, context=self.crypto_context)

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        # Model forms and full_clean() report a foreign token as a field error rather than failing on save.
        if isinstance(value, str) and value and crypto.is_token(value):
            try:
                self._check_own_token(value)
            except crypto.DecryptionError as exc:
                raise ValidationError(str(exc), code="foreign_token") from exc

    def _check_own_token(self, token: str) -> None:
        try:
            crypto.decrypt(token, context=self.crypto_context)
        except crypto.DecryptionError as exc:
            raise crypto.DecryptionError(
                _("“%(field)s”的值是一段密文，但不能按本字段解密，已拒绝保存：%(reason)s")
                % {"field": self.verbose_name, "reason": exc}
            ) from exc

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisation (dumpdata, fixtures) carries the token, never the plaintext.
        value = self.value_from_object(obj)
        return str(self.get_prep_value(value)) if value else ""

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        if lookup_name not in _ALLOWED_LOOKUPS:
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted and cannot be filtered with "
                f"'{lookup_name}'; filter on its blind index {self.index_field_name} instead"
            )
        return IsNull

    def get_transform(self, lookup_name: str) -> type[Transform] | None:
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted; transforms such as '{lookup_name}' do not apply"
        )

    def formfield(self, **kwargs: Any) -> Any:
        # These are short values (an ID, a phone number); a one-line input suits them better than a textarea.
        return super().formfield(**{"widget": forms.TextInput, **kwargs})


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    """The encrypted fields stored in ``model``'s own table (inherited ones live in the parent's table)."""
    return [field for field in model._meta.local_concrete_fields if isinstance(field, EncryptedTextField)]
