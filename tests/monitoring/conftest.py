import pytest

from tests.factories import ensure_default_rules


@pytest.fixture(autouse=True)
def default_rules(db: None) -> None:
    ensure_default_rules()
