"""The services behind the case's actions, by transition name: the pages and the API dispatch here, so
that an action exists once whether it is one of identification or of elimination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from bangfu.monitoring import elimination, identification

SERVICES: Final[dict[str, Callable[..., Any]]] = {
    name: getattr(module, name)
    for module, names in (
        (
            identification,
            (
                "sign_application",
                "record_home_check",
                "compare_data",
                "record_appraisal",
                "close_notice",
                "town_approve",
                "county_approve",
                "announce",
                "send_back",
                "reject",
            ),
        ),
        (
            elimination,
            (
                "propose_elimination",
                "record_elimination_appraisal",
                "close_elimination_notice",
                "town_accept_elimination",
                "approve_elimination",
                "roll_back_elimination",
            ),
        ),
    )
    for name in names
}
