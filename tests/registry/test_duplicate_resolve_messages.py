"""Resolving a likely duplicate without choosing an outcome or writing a note: each problem is said once,
beside its field (htmx), or as one well-punctuated message after a redirect."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bangfu.accounts.models import User
from bangfu.registry.models import DuplicateCandidate, DuplicateStatus
from tests.factories import DuplicateCandidateFactory, MemberFactory
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(regions: Any) -> DuplicateCandidate:
    a = MemberFactory(name="张伟", birth_date=date(1980, 2, 3))
    b = MemberFactory(name="张伟", birth_date=date(1980, 2, 3))
    return DuplicateCandidateFactory(member_a=a, member_b=b)


def test_with_htmx_each_problem_is_shown_once_beside_its_field(
    candidate: DuplicateCandidate, town_officer: User
) -> None:
    response = client_for(town_officer).post(
        f"/households/duplicates/{candidate.pk}/resolve/",
        {"status": "", "note": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("请选择核实结果。") == 1
    assert page.count("请填写核实说明。") == 1
    assert "。；" not in page
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.OPEN


def test_without_htmx_the_message_reads_as_chinese_sentences(
    candidate: DuplicateCandidate, town_officer: User
) -> None:
    client = client_for(town_officer)
    response = client.post(f"/households/duplicates/{candidate.pk}/resolve/", {"status": "", "note": ""})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "请选择核实结果。请填写核实说明。" in page
    assert "。；" not in page
