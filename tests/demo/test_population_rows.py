"""The synthetic population as generated (no database): deterministic, valid ID numbers, families whose ages
fit their relations, and the shares the demo promises (sizes, 脱贫户, programmes, employment)."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from statistics import mean
from typing import Any

import pytest

from bangfu.core import crypto, idnumbers
from bangfu.demo import bulkload
from bangfu.demo.population import (
    COLUMNS,
    COUNTY_WEIGHTS,
    OTHER_PROVINCES,
    Settings,
    Village,
    plan,
)

YEAR = 2026
ID_CONTEXT = "registry.member.id_number"
PHONE_CONTEXT = "registry.household.phone"
ENCRYPTED = {("member", "id_number"): ID_CONTEXT, ("household", "phone"): PHONE_CONTEXT}

Rows = dict[str, list[dict[str, Any]]]


def villages() -> list[Village]:
    """Three villages and a community in every county of the demo city (codes shaped like the real ones)."""
    made = []
    for county in COUNTY_WEIGHTS:
        for number in (1, 2, 3):
            made.append(Village(f"{county}100{number:03d}", f"{number}号村", "某镇", "某县", community=False))
        made.append(Village(f"{county}001001", "城关社区", "城关镇", "某县", community=True))
    return made


def generate(households: int, seed: int, *, workers: int = 1) -> Rows:
    """Every row of a population, as dicts keyed by column, ciphertexts replaced by their plaintext
    (the ciphertexts themselves differ on every run: each has a random nonce)."""
    settings = Settings(
        seed=seed,
        year=YEAR,
        created_at="2026-01-01 00:00:00",
        id_context=ID_CONTEXT,
        phone_context=PHONE_CONTEXT,
    )
    units = plan(households=households, seed=seed, villages=villages())
    rows: Rows = defaultdict(list)
    for batch in bulkload.generate(units, settings, workers=workers):
        for table, generated in batch.rows.items():
            for row in generated:
                record: dict[str, Any] = dict(zip(COLUMNS[table], row, strict=True))
                for (encrypted_table, column), context in ENCRYPTED.items():
                    if table == encrypted_table and record[column]:
                        record[column] = crypto.decrypt(record[column], context=context)
                rows[table].append(record)
    for records in rows.values():
        records.sort(key=lambda record: record["id"])
    return rows


def digest(rows: Rows) -> str:
    return hashlib.sha256(repr(sorted(rows.items())).encode()).hexdigest()


@pytest.fixture(scope="module")
def population() -> Rows:
    # A few thousand households: enough for the shares to sit near their targets.
    return generate(4000, seed=11)


def by_household(members: Sequence[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for member in members:
        grouped[member["household_id"]].append(member)
    return grouped


def age(member: dict[str, Any]) -> int:
    # Ages are counted on 1 January of the year; births fall between 2 January and 30 December.
    return YEAR - int(member["birth_date"][:4]) - 1


def test_the_same_seed_gives_identical_rows() -> None:
    first, second = generate(300, seed=5), generate(300, seed=5)
    assert digest(first) == digest(second)
    assert len(first["household"]) == 300


def test_another_seed_gives_another_population() -> None:
    assert digest(generate(300, seed=5)) != digest(generate(300, seed=6))


def test_rows_do_not_depend_on_the_number_of_processes() -> None:
    assert digest(generate(600, seed=9, workers=2)) == digest(generate(600, seed=9, workers=1))


def test_ids_are_unique_and_contiguous_per_unit(population: Rows) -> None:
    for table, rows in population.items():
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), table
    assert [row["id"] for row in population["household"]] == list(range(1, 4001))
    assert [row["id"] for row in population["incomestatement"]] == list(range(1, 4001))
    member_ids = {row["id"] for row in population["member"]}
    assert member_ids == set(range(1, len(member_ids) + 1))


def test_children_point_at_existing_parents(population: Rows) -> None:
    households = {row["id"] for row in population["household"]}
    members = {row["id"]: row["household_id"] for row in population["member"]}
    statements = {row["id"] for row in population["incomestatement"]}
    assert set(members.values()) == households
    for table in (
        "householdyear",
        "programmeenrolment",
        "employment",
        "incomestatement",
        "indicatorobservation",
    ):
        assert {row["household_id"] for row in population[table]} <= households, table
    for table in ("programmeenrolment", "employment"):
        for row in population[table]:
            if row["member_id"] is not None:
                assert members[row["member_id"]] == row["household_id"], table
    assert {row["statement_id"] for row in population["incomeline"]} <= statements


def test_every_id_number_is_valid_and_agrees_with_the_member(population: Rows) -> None:
    married_in: Counter[bool] = Counter()
    for member in population["member"]:
        parsed = idnumbers.parse(member["id_number"], on=idnumbers.date(YEAR, 1, 1))
        assert parsed.birth_date.isoformat() == member["birth_date"]
        assert parsed.sex == member["sex"]
        county = member["region_code"][:6]
        if parsed.region_prefix != county:
            # Only people who married in carry another county's or province's code.
            assert member["relation"] in {"spouse", "daughter_in_law", "son_in_law"}, member
            assert parsed.region_prefix in set(COUNTY_WEIGHTS) | set(OTHER_PROVINCES)
            married_in[parsed.region_prefix.startswith("6109")] += 1
    share = sum(married_in.values()) / len(population["member"])
    assert 0.015 < share < 0.045
    assert married_in[True]
    assert married_in[False]


def test_no_two_people_share_an_id_number_or_a_phone(population: Rows) -> None:
    numbers = [member["id_number"] for member in population["member"]]
    assert len(numbers) == len(set(numbers))
    phones = [household["phone"] for household in population["household"] if household["phone"]]
    assert len(phones) == len(set(phones))
    assert all(phone.startswith("140") and len(phone) == 11 for phone in phones)
    assert 0.85 < len(phones) / len(population["household"]) < 0.97


def test_blind_indexes_are_those_of_the_values(population: Rows) -> None:
    for member in population["member"][:200]:
        assert member["id_number_index"] == crypto.blind_index(member["id_number"], kind="id_number")
    for household in population["household"][:200]:
        assert household["phone_index"] == crypto.blind_index(household["phone"], kind="phone")


def test_each_household_has_exactly_one_current_head_and_sizes_one_to_eight(population: Rows) -> None:
    sizes = []
    for members in by_household(population["member"]).values():
        current = [m for m in members if m["left_on"] is None]
        assert [m["relation"] for m in current].count("head") == 1
        sizes.append(len(current))
    assert min(sizes) == 1
    assert max(sizes) == 8
    assert 3.1 < mean(sizes) < 3.45
    assert 0.1 < sizes.count(1) / len(sizes) < 0.18


def test_relations_fit_the_ages(population: Rows) -> None:
    for members in by_household(population["member"]).values():
        head = next(m for m in members if m["relation"] == "head")
        for member in members:
            gap = age(head) - age(member)
            relation = member["relation"]
            if relation in {"son", "daughter"}:
                assert gap >= 18, (head, member)
            elif relation in {"grandson", "granddaughter"}:
                assert gap >= 36, (head, member)
            elif relation in {"father", "mother"}:
                assert gap <= -18, (head, member)
            elif relation == "spouse" and member["left_on"] is None:
                assert abs(gap) <= 6 or age(member) == 20, (head, member)
                assert member["sex"] != head["sex"]


def test_the_age_pyramid_has_many_elderly_and_working_age_adults(population: Rows) -> None:
    ages = [age(m) for m in population["member"] if m["left_on"] is None]
    share = {
        "children": sum(a < 15 for a in ages) / len(ages),
        "working": sum(15 <= a < 60 for a in ages) / len(ages),
        "elderly": sum(a >= 60 for a in ages) / len(ages),
    }
    assert 0.1 < share["children"] < 0.25
    assert 0.5 < share["working"] < 0.7
    assert 0.18 < share["elderly"] < 0.3
    assert max(ages) <= 100


def test_about_fifteen_percent_of_households_are_former_registered_poor(population: Rows) -> None:
    households = population["household"]
    exited = [h for h in households if h["is_exited_poor"]]
    assert 0.12 < len(exited) / len(households) < 0.18
    assert all(h["household_type"] == "exited_poor" for h in exited)
    relocated = [h for h in households if h["relocated"]]
    assert all(h["is_exited_poor"] and h["resettlement_site"] for h in relocated)
    assert 0.03 < len(relocated) / len(exited) < 0.14


def test_programmes_have_their_shares(population: Rows) -> None:
    households = len(population["household"])
    kinds = Counter(row["kind"] for row in population["programmeenrolment"])
    assert 0.035 < kinds["dibao"] / households < 0.065
    assert 0.005 < kinds["extreme_poverty_support"] / households < 0.02
    assert kinds["disability_allowances"]
    assert kinds["relocation"]
    assert kinds["public_welfare_post"]
    # The households at risk: monitoring cases come with the monitoring issue; until then 低保边缘 marks them.
    assert 0.008 < kinds["dibao_edge"] / households < 0.03
    disabled = {m["id"] for m in population["member"] if m["health"] == "disabled"}
    allowances = {
        row["member_id"] for row in population["programmeenrolment"] if row["kind"] == "disability_allowances"
    }
    assert allowances <= disabled


def test_about_forty_percent_of_working_age_adults_are_employed(population: Rows) -> None:
    working_age = {m["id"] for m in population["member"] if m["left_on"] is None and 16 <= age(m) < 60}
    employed = {row["member_id"] for row in population["employment"]}
    assert 0.35 < len(employed & working_age) / len(working_age) < 0.5
    births = {m["id"]: m["birth_date"] for m in population["member"]}
    for row in population["employment"]:
        # Nobody started work before turning 15.
        assert int(row["start_date"][:4]) - int(births[row["member_id"]][:4]) >= 15, row
    places = Counter(row["place"] for row in population["employment"])
    assert set(places) == {"in_county", "in_province", "out_of_province"}
    assert places["out_of_province"] == max(places.values())  # 安康 sends its workers far


def test_statement_totals_are_the_counted_lines(population: Rows) -> None:
    lines: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for line in population["incomeline"]:
        if line["component"] != "excluded":
            lines[line["statement_id"]][line["component"]] += int(float(line["amount"]))
    components = ("wages", "business", "property", "transfers", "business_expenditure")
    for statement in population["incomestatement"]:
        for component in components:
            assert float(statement[component]) == float(lines[statement["id"]][component])
        assert statement["period_start"] == "2025-01-01"
        assert statement["period_end"] == "2025-12-31"
    excluded = [line for line in population["incomeline"] if line["component"] == "excluded"]
    assert 0.02 < len(excluded) / len(population["incomestatement"]) < 0.1


def test_per_capita_income_is_spread_with_few_households_below_a_monitoring_line(population: Rows) -> None:
    per_capita = sorted(
        (
            sum(float(s[c]) for c in ("wages", "business", "property", "transfers"))
            - float(s["business_expenditure"])
        )
        / s["household_size"]
        for s in population["incomestatement"]
    )
    median = per_capita[len(per_capita) // 2]
    assert 10_000 < median < 20_000
    assert per_capita[-len(per_capita) // 10] > 2 * median * 0.8  # a long upper tail
    assert 0.03 < sum(x < 7800 for x in per_capita) / len(per_capita) < 0.15


def test_indicators_are_mostly_met_with_a_handful_of_problems(population: Rows) -> None:
    observations = population["indicatorobservation"]
    housing = Counter(row["value"] for row in observations if row["indicator"] == "housing_grade")
    assert housing["A"] + housing["B"] > 0.97 * sum(housing.values())
    assert housing["C"] + housing["D"] > 0
    problems = [row for row in observations if row["is_problem"]]
    assert 0 < len(problems) < 0.02 * len(observations)
    assert all(row["value"] in {"C", "D", "unmet"} for row in problems)
    dropouts = {m["household_id"] for m in population["member"] if m["school_status"] == "dropped_out"}
    flagged = {
        row["household_id"]
        for row in observations
        if row["indicator"] == "child_out_of_school" and row["is_problem"]
    }
    assert dropouts == flagged


def test_two_yearly_snapshots_per_household(population: Rows) -> None:
    years = Counter((row["household_id"], row["year"]) for row in population["householdyear"])
    assert set(years.values()) == {1}
    assert {year for _household, year in years} == {YEAR - 2, YEAR - 1}
    assert len(years) == 2 * len(population["household"])
