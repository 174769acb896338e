"""Likely duplicate people (issue §5): listed for the town to check, never merged.

Exact duplicates (the same ID number twice) are refused at entry by ``services`` and by a unique constraint.
What remains are people entered twice with a mistyped or missing ID. ``find_duplicates`` looks, per town, for
two current members with the same birth date and

* the same name (``same_name_birth``), or
* names that sound alike: their toneless pinyin (``pypinyin.lazy_pinyin``) is at least
  ``SIMILAR_NAME_THRESHOLD`` similar by ``rapidfuzz.fuzz.ratio`` (``similar_name``). Pinyin input methods
  make homophones the common typing slip: 王明/汪明 ("wangming" both, 100), 张小红/张晓红 (100), 张三/张山
  ("zhangsan"/"zhangshan", 94). 85 keeps one-letter slips (王明/王敏, 93; 刘伟/李伟, 90) and drops names
  that only share syllables (李小红/李小华, 73; 刘伟/刘卫东, 75).

Twins are the ordinary case of two similar names with one birth date in one household; such a pair, when
both members have an ID number, is not listed (an identical name is listed all the same).

The work is one self-join in SQL (same birth date, same town = the first nine digits of the village code,
the ID numbers differ or one is missing); pinyin is computed in Python only over the pairs it returns, which
are few (a town's people spread over tens of thousands of birth dates). Results are upserted: a pair already
reviewed keeps its decision, a still-open pair that no longer matches is removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

from bangfu.audit import events
from bangfu.regions.codes import prefix_bounds
from bangfu.regions.scoping import scope_q
from bangfu.registry import access
from bangfu.registry.models import DuplicateCandidate, DuplicateReason, DuplicateStatus, Member
from bangfu.registry.services import RegistryRefused
from bangfu.registry.validation import Problem

if TYPE_CHECKING:
    from django.http import HttpRequest

    from bangfu.accounts.models import User

# rapidfuzz ratio (0–100) of the two names' toneless pinyin at or above which a pair is listed.
SIMILAR_NAME_THRESHOLD: Final = 85
_FETCH = 2000
_BATCH = 1000

_PAIRS_SQL = """
SELECT a.id, b.id, a.name, b.name, a.household_id, b.household_id, a.id_number_index, b.id_number_index,
       SUBSTR(a.region_code, 1, 9)
  FROM {member} a
  JOIN {member} b
    ON b.birth_date = a.birth_date
   AND b.id > a.id
   AND b.region_code >= %s AND b.region_code < %s
   AND SUBSTR(b.region_code, 1, 9) = SUBSTR(a.region_code, 1, 9)
   AND b.left_on IS NULL
 WHERE a.left_on IS NULL
   AND a.region_code >= %s AND a.region_code < %s
   AND (a.id_number_index = '' OR b.id_number_index = '' OR a.id_number_index <> b.id_number_index)
"""


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> str:
    """A name's toneless pinyin without separators (``王明`` → ``wangming``); other characters kept."""
    cleaned = "".join(ch for ch in name if not ch.isspace() and ch not in "·•.")
    return "".join(lazy_pinyin(cleaned, style=Style.NORMAL)).lower()


def name_similarity(a: str, b: str) -> int:
    """0–100: how alike two names sound (rapidfuzz ratio of their toneless pinyin), rounded down."""
    return int(fuzz.ratio(name_pinyin(a), name_pinyin(b)))


@dataclass(frozen=True)
class Pair:
    member_a: int
    member_b: int
    town_code: str
    reason: str
    score: int


def _pairs(prefix: str) -> Iterator[Pair]:
    lo, hi = prefix_bounds(prefix) if prefix else ("", "A")
    sql = _PAIRS_SQL.format(member=connection.ops.quote_name(Member._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [lo, hi, lo, hi])
        while rows := cursor.fetchmany(_FETCH):
            for a, b, name_a, name_b, household_a, household_b, index_a, index_b, town in rows:
                town_code = str(town).ljust(12, "0")
                if name_a == name_b:
                    yield Pair(a, b, town_code, DuplicateReason.SAME_NAME_BIRTH, 100)
                    continue
                if household_a == household_b and index_a and index_b:
                    continue  # twins: two people with their own ID numbers in one household
                score = name_similarity(name_a, name_b)
                if score >= SIMILAR_NAME_THRESHOLD:
                    yield Pair(a, b, town_code, DuplicateReason.SIMILAR_NAME, score)


def find_duplicates(*, prefix: str) -> int:
    """List likely duplicates among current members under ``prefix`` (``""`` = everywhere; pairs are looked
    for with both people under the prefix, so run it per town or above); returns how many pairs match now
    (new, still open and already reviewed).

    Side effects: DuplicateCandidate rows — new pairs inserted as open, open pairs' reason/score/town
    refreshed, open pairs under ``prefix`` that no longer match deleted; reviewed pairs are left as decided.
    Derived data, so no audit event (deciding a pair is audited: ``resolve_duplicate``).
    """
    found = {(pair.member_a, pair.member_b): pair for pair in _pairs(prefix)}
    existing = DuplicateCandidate.objects.all()
    if prefix:
        # Pairs with both people under the prefix: those this run can confirm or find stale.
        existing = existing.filter(
            scope_q("member_a__region_code", [prefix]) & scope_q("member_b__region_code", [prefix])
        )
    known = {
        (a, b): (pk, status, reason, score, code)
        for pk, a, b, status, reason, score, code in existing.values_list(
            "pk", "member_a_id", "member_b_id", "status", "reason", "score", "region_code"
        )
    }
    new = [
        DuplicateCandidate(
            member_a_id=pair.member_a,
            member_b_id=pair.member_b,
            region_code=pair.town_code,
            reason=pair.reason,
            score=pair.score,
        )
        for key, pair in found.items()
        if key not in known
    ]
    changed = []
    for key, (pk, status, reason, score, code) in known.items():
        pair = found.get(key)
        if (
            pair is not None
            and status == DuplicateStatus.OPEN
            and (reason, score, code)
            != (
                pair.reason,
                pair.score,
                pair.town_code,
            )
        ):
            changed.append(
                DuplicateCandidate(pk=pk, reason=pair.reason, score=pair.score, region_code=pair.town_code)
            )
    stale = [
        pk
        for key, (pk, status, *_rest) in known.items()
        if key not in found and status == DuplicateStatus.OPEN
    ]
    with transaction.atomic():
        # ignore_conflicts: a pair found under a neighbouring prefix meanwhile is already there.
        DuplicateCandidate.objects.bulk_create(new, batch_size=_BATCH, ignore_conflicts=True)
        DuplicateCandidate.objects.bulk_update(changed, ["reason", "score", "region_code"], batch_size=_BATCH)
        for start in range(0, len(stale), _BATCH):
            DuplicateCandidate.objects.filter(pk__in=stale[start : start + _BATCH]).delete()
    return len(found)


def resolve_duplicate(
    *,
    candidate: DuplicateCandidate,
    by: User,
    status: str,
    note: str,
    request: HttpRequest | None = None,
) -> DuplicateCandidate:
    """A town (or higher) user records the outcome of checking a pair: ``not_duplicate`` or ``same_person``
    (or ``open`` to reopen), with a note (required). Nothing is merged: when it is the same person, the
    town then ends the wrong record (``services.member_leaves`` with reason ``duplicate``).

    Side effects: status, reviewer, time and note on the candidate; audit ``updated``.
    """
    if not access.can_resolve_duplicates(by):
        raise PermissionDenied(_("只有乡镇及以上用户可以核实疑似重复人员。"))
    if not access.in_scope(by, candidate.region_code):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))
    note = (note or "").strip()
    problems = []
    if status not in DuplicateStatus.values:
        problems.append(Problem("status", _("核实结果无效：%(value)s") % {"value": status}))
    if not note:
        problems.append(Problem("review_note", _("请填写核实说明")))
    elif len(note) > 500:
        problems.append(Problem("review_note", _("核实说明最多500字")))
    if problems:
        raise RegistryRefused(problems)
    with transaction.atomic():
        candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
        before = events.snapshot(candidate, ["status", "review_note", "reviewed_by"])
        candidate.status = status
        candidate.review_note = note
        candidate.reviewed_by = by
        candidate.reviewed_at = timezone.now()
        candidate.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
        events.updated(
            actor=by,
            obj=candidate,
            before=before,
            after=events.snapshot(candidate, ["status", "review_note", "reviewed_by"]),
            request=request,
        )
    return candidate
