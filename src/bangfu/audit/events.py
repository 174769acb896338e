"""Named constructors for audit events — the only way the rest of bangfu writes the audit trail.

Services call one constructor per audited change, inside their own transaction and as its last step
(see ``bangfu.audit.chain``): the event then rolls back with a change that did not happen, and the chain
head is locked only briefly.

Login events are different: ``login``, ``logout`` and ``login_failed`` are written outside any business
transaction, by the login and logout views and the authentication-failure handler, which run in
autocommit (``ATOMIC_REQUESTS`` is off). Each is committed by itself as soon as it is written, so a failed
login stays recorded even when the rest of the request fails.

Personal data never reaches the audit trail in clear: a value in ``before``/``after``/``detail`` is masked
with ``bangfu.core.masking.MASKERS`` when its model field declares ``personal_kind`` (``EncryptedTextField``)
or its key names a personal kind (``id_number``, ``phone``, ``bank_account``, …, also as a suffix such as
``head_phone``). Secrets (password hashes, token digests, keys) and blind indexes are replaced by a fixed
mask. A revealed value is never recorded — only which field was revealed.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import Promise

from bangfu.audit.chain import append, append_many
from bangfu.audit.models import Action, AuditEvent
from bangfu.core.masking import MASKERS, mask_text

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    Actor = AbstractBaseUser | AnonymousUser | None

__all__ = [
    "REDACTED",
    "created",
    "created_many",
    "deleted",
    "exported",
    "json_safe",
    "login",
    "login_failed",
    "logout",
    "mask_unknown_username",
    "mask_values",
    "revealed",
    "security",
    "snapshot",
    "updated",
    "updated_many",
]

# What a secret or an unmaskable personal value becomes.
REDACTED = "******"
# Keys that hold personal data of a kind even where no model field says so (hand-built dicts, details).
PERSONAL_KEYS: dict[str, str] = {
    "id_number": "id_number",
    "phone": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "bank_account": "bank_account",
}
# Keys whose values are secrets: never recorded, not even masked (also as a suffix: "session_key").
# Not "token": services record an API token's public prefix under that name to say which token it was.
SECRET_KEYS = frozenset({"password", "digest", "secret", "key"})
# The blind index kept beside an encrypted field (bangfu.core.fields): a stable pseudonym, so not recorded.
BLIND_INDEX_SUFFIX = "_index"

USER_AGENT_LENGTH = 255
REPR_LENGTH = 200
# ID numbers and mainland mobile numbers that happen to appear inside an object's text representation.
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


# --- JSON-safe values and snapshots ---------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON types that survive a round trip through any JSON column unchanged: dates as ISO
    text, floats and decimals as text, model instances as their pk."""
    if isinstance(value, Enum):
        # TextChoices/IntegerChoices members: their stored value, as a plain str or int.
        return json_safe(value.value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        # PostgreSQL text and jsonb cannot hold NUL characters.
        return str(value).replace("\x00", "")
    if isinstance(value, float | Decimal):
        # As text, never as a JSON number: PostgreSQL's jsonb stores numbers as numeric and gives 1e16 back as
        # 10000000000000000, so a hash over the float would no longer match and ``verify`` would report
        # tampering that never happened. Text also keeps NaN and infinity (not JSON) readable.
        return str(value)
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return json_safe(value.total_seconds())
    if isinstance(value, UUID | Promise):
        return str(value)
    if isinstance(value, models.Model):
        return json_safe(value.pk)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(item) for item in value), key=str)
    if isinstance(value, Iterable):
        return [json_safe(item) for item in value]
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The current values of ``instance`` as a JSON-safe dict, for an event's ``before``/``after``.

    By default every concrete field except the primary key; a foreign key is recorded by its id under the
    field's name, a many-to-many field (only when named in ``fields``) as the sorted list of ids. Values
    are NOT masked here — the constructors mask them — so compare snapshots freely, then pass them on.
    """
    meta = instance._meta
    names = (
        list(fields) if fields is not None else [f.name for f in meta.concrete_fields if not f.primary_key]
    )
    result: dict[str, Any] = {}
    for name in names:
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            result[name] = json_safe(getattr(instance, name))
            continue
        if field.many_to_many:
            related = getattr(instance, name).values_list("pk", flat=True)
            result[name] = sorted(json_safe(pk) for pk in related)
        elif field.is_relation and field.concrete:
            result[name] = json_safe(getattr(instance, field.attname))
        else:
            result[name] = json_safe(getattr(instance, name))
    return result


# --- masking ----------------------------------------------------------------------------------------------


def _model_field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    field: object
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        # A foreign key may be keyed by its column name ("household_id").
        field = next((f for f in model._meta.concrete_fields if f.attname == key), None)
    return field if isinstance(field, models.Field) else None


# What a key of a model is depends only on the model's fields and the key lists above: decided once per
# (model, key), since an import masks the same few keys for each of tens of thousands of events.
@functools.lru_cache(maxsize=4096)
def _personal_kind(model: type[models.Model] | None, key: str) -> str | None:
    kind = getattr(_model_field(model, key), "personal_kind", None)
    if kind:
        return str(kind)
    for name, known_kind in PERSONAL_KEYS.items():
        if key == name or key.endswith(f"_{name}"):
            return known_kind
    return None


@functools.lru_cache(maxsize=4096)
def _is_secret(model: type[models.Model] | None, key: str) -> bool:
    if key in SECRET_KEYS or any(key.endswith(f"_{name}") for name in SECRET_KEYS):
        return True
    # The blind index of a personal field ("id_number_index") links rows across systems: keep it out.
    return (
        key.endswith(BLIND_INDEX_SUFFIX)
        and _personal_kind(model, key[: -len(BLIND_INDEX_SUFFIX)]) is not None
    )


def _mask_value(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if isinstance(value, list):
        return [_mask_value(kind, item) for item in value]
    masker = MASKERS.get(kind)
    # A kind without a masker is hidden completely: never fall back to showing the value.
    return masker(str(value)) if masker else REDACTED


def mask_values(values: Mapping[str, Any], *, model: type[models.Model] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of ``values`` with personal data masked and secrets removed (see module docstring)."""
    masked: dict[str, Any] = {}
    for key, value in json_safe(values).items():
        if _is_secret(model, key):
            masked[key] = REDACTED if value not in (None, "") else value
        elif kind := _personal_kind(model, key):
            masked[key] = _mask_value(kind, value)
        elif isinstance(value, dict):
            # Nested details ("scope": {...}) are masked by key names alone.
            masked[key] = mask_values(value)
        elif isinstance(value, list):
            masked[key] = [mask_values(item) if isinstance(item, dict) else item for item in value]
        else:
            masked[key] = value
    return masked


def _mask_text(text: str) -> str:
    text = _ID_NUMBER_IN_TEXT.sub(lambda m: MASKERS["id_number"](m.group()), text)
    return _PHONE_IN_TEXT.sub(lambda m: MASKERS["phone"](m.group()), text)


# --- what an event says about its object, actor and request --------------------------------------------


def _object_fields(obj: models.Model | None, *, object_id: Any = None) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_repr": "", "region_code": ""}
    audit_repr = getattr(obj, "audit_repr", None)
    text = str(audit_repr() if callable(audit_repr) else obj)
    pk = obj.pk if obj.pk is not None else object_id
    return {
        "object_type": obj._meta.label_lower,
        "object_id": "" if pk is None else str(json_safe(pk))[:64],
        "object_repr": _mask_text(json_safe(text))[:REPR_LENGTH],
        "region_code": _region_code_of(obj),
    }


def _region_code_of(obj: models.Model) -> str:
    """The region an object belongs to, so auditors can filter by region: its ``region_code``, a
    region's own code, or (for a user) the code of its scope; ``""`` when there is none."""
    code = getattr(obj, "region_code", None)
    if code is None and obj._meta.label_lower == "regions.region":
        code = obj.pk
    if code is None:
        code = getattr(obj, "region_id", None)
    text = str(code or "")
    return text if text.isascii() and text.isdigit() and len(text) <= 12 else ""


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if actor is None or not actor.is_authenticated:
        return {"actor_id": None, "actor_username": ""}
    return {"actor_id": actor.pk, "actor_username": actor.get_username()[:150]}


def _request_fields(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {"ip": "", "user_agent": ""}
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    raw_ip = str(request.META.get("REMOTE_ADDR") or "")
    try:
        ip = str(ipaddress.ip_address(raw_ip))
    except ValueError:
        ip = ""
    user_agent = str(request.META.get("HTTP_USER_AGENT") or "").replace("\x00", "")
    return {"ip": ip, "user_agent": user_agent[:USER_AGENT_LENGTH]}


def _record(
    *,
    action: Action,
    actor: Actor,
    request: HttpRequest | None,
    data: dict[str, Any],
    obj: models.Model | None = None,
    object_id: Any = None,
    operation: str = "",
    **overrides: str,
) -> AuditEvent:
    return append(
        **_entry(
            action=action,
            actor=actor,
            request=request,
            data=data,
            obj=obj,
            object_id=object_id,
            operation=operation,
            **overrides,
        )
    )


def _entry(
    *,
    action: Action,
    actor: Actor,
    request: HttpRequest | None,
    data: dict[str, Any],
    obj: models.Model | None = None,
    object_id: Any = None,
    operation: str = "",
    **overrides: str,
) -> dict[str, Any]:
    """The fields of one event as ``chain.append``/``chain.append_many`` take them."""
    return {
        **_actor_fields(actor),
        **_object_fields(obj, object_id=object_id),
        **_request_fields(request),
        **overrides,
        "action": action.value,
        "operation": operation[:64],
        "data": data,
    }


def _model_of(obj: models.Model | None) -> type[models.Model] | None:
    # _meta.model, not type(): request.user arrives wrapped in lazy objects (django-otp adds one).
    return obj._meta.model if obj is not None else None


# --- the named constructors -------------------------------------------------------------------------------


def created(
    *, actor: Actor, obj: models.Model, after: dict[str, Any], request: HttpRequest | None = None
) -> AuditEvent:
    """Record that ``actor`` created ``obj`` with the values ``after`` (masked)."""
    return _record(
        action=Action.CREATE,
        actor=actor,
        obj=obj,
        request=request,
        data={"after": mask_values(after, model=_model_of(obj))},
    )


def updated(
    *,
    actor: Actor,
    obj: models.Model,
    before: dict[str, Any],
    after: dict[str, Any],
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record that ``actor`` changed ``obj``. Only the keys whose values differ are kept, both sides masked;
    the comparison is made on the unmasked values, so a change hidden by the mask is still listed."""
    return _record(
        action=Action.UPDATE,
        actor=actor,
        obj=obj,
        request=request,
        data=_changes(before, after, model=_model_of(obj)),
    )


def _changes(
    before: dict[str, Any], after: dict[str, Any], *, model: type[models.Model] | None
) -> dict[str, Any]:
    old, new = json_safe(before), json_safe(after)
    changed = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
    return {
        "changed": changed,
        "before": mask_values({key: old[key] for key in changed if key in old}, model=model),
        "after": mask_values({key: new[key] for key in changed if key in new}, model=model),
    }


def created_many(
    *,
    actor: Actor,
    items: Iterable[tuple[models.Model, dict[str, Any]]],
    request: HttpRequest | None = None,
) -> int:
    """``created`` for each ``(obj, after)`` pair, appended to the chain in one go (``chain.append_many``):
    the same events, for writers of many objects at once (the household import). Returns how many."""
    return append_many(
        _entry(
            action=Action.CREATE,
            actor=actor,
            obj=obj,
            request=request,
            data={"after": mask_values(after, model=_model_of(obj))},
        )
        for obj, after in items
    )


def updated_many(
    *,
    actor: Actor,
    items: Iterable[tuple[models.Model, dict[str, Any], dict[str, Any]]],
    request: HttpRequest | None = None,
) -> int:
    """``updated`` for each ``(obj, before, after)`` triple, appended in one go; returns how many."""
    return append_many(
        _entry(
            action=Action.UPDATE,
            actor=actor,
            obj=obj,
            request=request,
            data=_changes(before, after, model=_model_of(obj)),
        )
        for obj, before, after in items
    )


def deleted(
    *, actor: Actor, obj: models.Model, before: dict[str, Any], request: HttpRequest | None = None
) -> AuditEvent:
    """Record that ``actor`` deleted ``obj``, whose last values were ``before`` (masked).

    Call it before or after ``obj.delete()`` in the same transaction; after deletion Django clears
    ``obj.pk``, so the id is then taken from ``before`` (include the pk in the snapshot in that case).
    """
    model = _model_of(obj)
    pk_name = obj._meta.pk.attname if obj._meta.pk else "id"
    return _record(
        action=Action.DELETE,
        actor=actor,
        obj=obj,
        object_id=before.get(pk_name),
        request=request,
        data={"before": mask_values(before, model=model)},
    )


def login(*, user: AbstractBaseUser, request: HttpRequest | None) -> AuditEvent:
    """Record a successful login of ``user``; written in autocommit (see module docstring)."""
    return _record(
        action=Action.LOGIN,
        actor=user,
        request=request,
        data={},
        region_code=_region_code_of(user),
    )


def logout(*, user: AbstractBaseUser | AnonymousUser | None, request: HttpRequest | None) -> AuditEvent:
    """Record that ``user`` logged out (explicitly or by the idle timeout); written in autocommit."""
    return _record(
        action=Action.LOGOUT,
        actor=user,
        request=request,
        data={},
        region_code=_region_code_of(user) if isinstance(user, models.Model) else "",
    )


def login_failed(*, username: str, request: HttpRequest | None, reason: str) -> AuditEvent:
    """Record a failed login attempt for ``username`` and why it failed.

    The username is kept as typed only when an account of that name exists. People type their ID number,
    phone or even their password into the username field, and the audit trail can never be corrected: a
    name that belongs to no account is stored masked (``mask_unknown_username``) with ``unknown_user:
    true``, which still shows an auditor the pattern of attempts. Written in autocommit by the failure
    handler, so it persists whatever happens to the request.
    """
    typed = json_safe(username)
    data: dict[str, Any] = {"reason": json_safe(reason)}
    if not _account_exists(typed):
        typed = mask_unknown_username(typed)
        data["unknown_user"] = True
    return _record(
        action=Action.LOGIN_FAILED,
        actor=None,
        request=request,
        data=data,
        actor_username=typed[:150],
    )


def _account_exists(username: str) -> bool:
    # Through the user model's manager, as authentication looks accounts up (an exact match).
    user_model = get_user_model()
    return (
        bool(username)
        and user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).exists()
    )


def mask_unknown_username(text: str) -> str:
    """A typed name that matches no account, as it may be stored (``core.masking.mask_text``)."""
    return mask_text(text)


def out_of_scope(
    *, actor: Actor, model_label: str, lookup: dict[str, Any], request: HttpRequest | None = None
) -> AuditEvent:
    """Record a request for a row that exists outside the actor's region scope (answered as 404)."""
    return security(
        actor=actor,
        action="out_of_scope",
        detail={"model": model_label, "lookup": mask_values(lookup)},
        request=request,
    )


def revealed(
    *, actor: Actor, obj: models.Model, field: str, request: HttpRequest | None = None
) -> AuditEvent:
    """Record that ``actor`` saw the full value of ``obj.<field>`` (never the value itself)."""
    model = _model_of(obj)
    model_field = _model_field(model, field)
    label = str(model_field.verbose_name) if model_field is not None else field
    return _record(
        action=Action.REVEAL,
        actor=actor,
        obj=obj,
        request=request,
        data={"field": field, "field_label": label, "kind": _personal_kind(model, field) or ""},
    )


def exported(
    *,
    actor: Actor,
    what: str,
    count: int,
    region_code: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record that ``actor`` exported ``count`` rows of ``what`` (``registry.household``…) for a region."""
    what_text = json_safe(what)
    return _record(
        action=Action.EXPORT,
        actor=actor,
        request=request,
        data={"what": what_text, "count": int(count)},
        object_type=what_text[:100],
        object_repr=_mask_text(what_text)[:REPR_LENGTH],
        region_code=region_code[:12],
    )


def security(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record a security-relevant operation ``action`` (``role_changed``, ``scope_changed``,
    ``token_created``, ``lockout``, …) by ``actor`` (``None`` for the system), with a masked ``detail``."""
    return _record(
        action=Action.SECURITY,
        actor=actor,
        obj=obj,
        request=request,
        operation=action,
        data={"detail": mask_values(detail or {}, model=_model_of(obj))},
    )
