"""Agents' weekly contracts: parsing (defaults, bad input named by field), windows past midnight,
and conversion to the scheduling model's minute ranges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.contracts import (
    DEFAULT_CONTRACT,
    MAX_WINDOWS,
    Contract,
    Window,
    contract_to_dict,
    parse_contract,
    to_agent_contract,
)
from helpline.domain.workforce.roster import AgentContract

MONDAY = date(2026, 3, 2)
DAY = 1440
WEEK = 7 * DAY


def test_none_and_empty_give_the_default_contract() -> None:
    assert parse_contract(None) == DEFAULT_CONTRACT == parse_contract({})
    # The default is what scheduling assumed before contracts were stored.
    plain = AgentContract(agent_id=1, name="A", skills=frozenset({"g"}))
    assert to_agent_contract(DEFAULT_CONTRACT, 1, "A", frozenset({"g"}), MONDAY) == plain


def test_a_full_contract_is_parsed_and_round_trips_through_its_json() -> None:
    raw = {
        "min_hours_week": 20,
        "max_hours_week": 32.5,
        "max_days_week": 4,
        "unavailable": [{"day": 0, "from": "00:00", "to": "24:00"}, {"day": 4, "from": "22:00", "to": "06:00"}],
    }
    contract = parse_contract(raw)
    assert contract == Contract(20.0, 32.5, 4, (Window(0, 0, DAY), Window(4, 22 * 60, DAY + 6 * 60)))
    assert contract_to_dict(contract) == {**raw, "min_hours_week": 20.0}
    assert parse_contract(contract_to_dict(contract)) == contract


def test_conversion_to_minutes_from_the_week_start() -> None:
    contract = parse_contract(
        {
            "min_hours_week": 10,
            "max_hours_week": 30,
            "max_days_week": 3,
            "unavailable": [
                {"day": 2, "from": "09:00", "to": "13:30"},  # Wednesday morning
                {"day": 4, "from": "22:00", "to": "06:00"},  # Friday night into Saturday
            ],
        }
    )
    agent = to_agent_contract(contract, 7, "Ann", frozenset({"acme/Cards"}), datetime(2026, 3, 2))
    assert (agent.agent_id, agent.name, agent.skills) == (7, "Ann", frozenset({"acme/Cards"}))
    assert (agent.min_minutes, agent.max_minutes, agent.max_days) == (600, 1800, 3)
    assert agent.unavailable == ((2 * DAY + 540, 2 * DAY + 810), (4 * DAY + 1320, 5 * DAY + 360))


def test_sunday_night_past_midnight_wraps_to_the_weeks_start() -> None:
    contract = parse_contract({"unavailable": [{"day": 6, "from": "20:00", "to": "08:00"}]})
    agent = to_agent_contract(contract, 1, "A", frozenset(), MONDAY)
    # The week is cyclic: the part after Sunday midnight is the Monday morning of the same week.
    assert agent.unavailable == ((0, 480), (6 * DAY + 1200, WEEK))


def test_a_week_starting_on_another_day_places_windows_on_their_weekday() -> None:
    contract = parse_contract({"unavailable": [{"day": 0, "from": "09:00", "to": "10:00"}]})
    wednesday = date(2026, 3, 4)
    agent = to_agent_contract(contract, 1, "A", frozenset(), wednesday)
    assert agent.unavailable == ((5 * DAY + 540, 5 * DAY + 600),)  # Monday is the week's sixth day


def test_overlapping_windows_are_merged() -> None:
    contract = parse_contract(
        {
            "unavailable": [
                {"day": 1, "from": "08:00", "to": "12:00"},
                {"day": 1, "from": "11:00", "to": "14:00"},
                {"day": 0, "from": "18:00", "to": "00:00"},  # Monday evening up to Tuesday midnight...
                {"day": 1, "from": "00:00", "to": "02:00"},  # ...touching Tuesday's small hours
            ]
        }
    )
    agent = to_agent_contract(contract, 1, "A", frozenset(), MONDAY)
    assert agent.unavailable == ((1080, DAY + 120), (DAY + 480, DAY + 840))


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "contract"),
        ("40h", "contract"),
        ({"max_hours_week": -1}, "contract.max_hours_week"),
        ({"min_hours_week": -0.5}, "contract.min_hours_week"),
        ({"max_hours_week": 81}, "contract.max_hours_week"),
        ({"max_hours_week": float("nan")}, "contract.max_hours_week"),
        ({"max_hours_week": float("inf")}, "contract.max_hours_week"),
        ({"max_hours_week": "40"}, "contract.max_hours_week"),
        ({"max_hours_week": True}, "contract.max_hours_week"),
        ({"min_hours_week": 30, "max_hours_week": 20}, "contract.min_hours_week"),
        ({"min_hours_week": 25, "max_hours_week": 40, "max_days_week": 2}, "contract.min_hours_week"),
        ({"max_days_week": 8}, "contract.max_days_week"),
        ({"max_days_week": -1}, "contract.max_days_week"),
        ({"max_days_week": 2.5}, "contract.max_days_week"),
        ({"max_days_week": False}, "contract.max_days_week"),
        ({"overtime": True}, "contract.overtime"),
        ({"unavailable": {"day": 0}}, "contract.unavailable"),
        ({"unavailable": [{"day": 0, "from": "09:00", "to": "10:00"}] * (MAX_WINDOWS + 1)}, "contract.unavailable"),
        ({"unavailable": ["monday"]}, "contract.unavailable.0"),
        ({"unavailable": [{"day": 9, "from": "09:00", "to": "10:00"}]}, "contract.unavailable.0.day"),
        ({"unavailable": [{"day": -1, "from": "09:00", "to": "10:00"}]}, "contract.unavailable.0.day"),
        ({"unavailable": [{"day": "0", "from": "09:00", "to": "10:00"}]}, "contract.unavailable.0.day"),
        ({"unavailable": [{"from": "09:00", "to": "10:00"}]}, "contract.unavailable.0.day"),
        ({"unavailable": [{"day": 0, "from": "25:00", "to": "10:00"}]}, "contract.unavailable.0.from"),
        ({"unavailable": [{"day": 0, "from": "24:00", "to": "10:00"}]}, "contract.unavailable.0.from"),
        ({"unavailable": [{"day": 0, "from": "9:00", "to": "10:00"}]}, "contract.unavailable.0.from"),
        ({"unavailable": [{"day": 0, "from": 540, "to": "10:00"}]}, "contract.unavailable.0.from"),
        ({"unavailable": [{"day": 0, "from": "09:00", "to": "24:01"}]}, "contract.unavailable.0.to"),
        ({"unavailable": [{"day": 0, "from": "09:00", "to": "10:60"}]}, "contract.unavailable.0.to"),
        ({"unavailable": [{"day": 0, "from": "09:00"}]}, "contract.unavailable.0.to"),
        ({"unavailable": [{"day": 0, "from": "09:00", "to": "09:00"}]}, "contract.unavailable.0.to"),
        (
            {"unavailable": [{"day": 0, "from": "09:00", "to": "10:00"}, {"day": 1, "from": "x", "to": "y"}]},
            "contract.unavailable.1.from",
        ),
        ({"unavailable": [{"day": 0, "from": "09:00", "to": "10:00", "note": "x"}]}, "contract.unavailable.0.note"),
    ],
)
def test_bad_contracts_are_refused_by_field(raw: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_contract(raw)
    assert caught.value.field == field


def test_the_field_prefix_can_be_chosen() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_contract({"max_days_week": 9}, field="agents.3.contract")
    assert caught.value.field == "agents.3.contract.max_days_week"


def test_edge_values_are_accepted() -> None:
    contract = parse_contract(
        {
            "min_hours_week": 0,
            "max_hours_week": 80,
            "max_days_week": 7,
            "unavailable": [{"day": 6, "from": "23:59", "to": "00:00"}] * MAX_WINDOWS,
        }
    )
    assert contract.max_hours_week == 80.0 and len(contract.unavailable) == MAX_WINDOWS
    agent = to_agent_contract(contract, 1, "A", frozenset(), MONDAY)
    assert agent.unavailable == ((WEEK - 1, WEEK),)  # 100 identical windows, one range
    nobody = to_agent_contract(parse_contract({"max_hours_week": 0, "max_days_week": 0}), 1, "A", frozenset(), MONDAY)
    assert (nobody.max_minutes, nobody.max_days) == (0, 0)
