"""The page shell: the home page greets every logged-in role (it shows only the role's duties, its scope
and the links it may follow — no figures, so no data to keep from anyone) and sends visitors to log in."""

from __future__ import annotations

import pytest

from tests.permissions import ALL_PERSONAS, PermissionMatrix, Route

pytestmark = pytest.mark.django_db


class TestHome(PermissionMatrix):
    routes = [Route("/", allowed=ALL_PERSONAS)]  # noqa: RUF012 — the matrix reads this class attribute
