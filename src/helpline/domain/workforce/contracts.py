"""Agents' weekly contracts: the hours and days they may be rostered, and when they never are.

A contract is stored as JSON on the agent (None: the default contract below):

    {"min_hours_week": 20, "max_hours_week": 32, "max_days_week": 4,
     "unavailable": [{"day": 0, "from": "00:00", "to": "24:00"},     # never on Mondays
                     {"day": 4, "from": "22:00", "to": "06:00"}]}    # Friday 22:00 to Saturday 06:00

Every key is optional (a missing one takes the default). Days count 0 = Monday to 6 = Sunday;
times are "HH:MM" on the schedule's clock (UTC, as weeks are built and stored); "24:00" may end a
window (the end of that day). A window whose `to` is earlier than its `from` runs past midnight
and ends the next day (Sunday's runs into Monday: the scheduled week is cyclic). `from` equal to
`to` is refused as ambiguous (nothing, or the whole day?).

`to_agent_contract` turns a contract into the scheduling model's AgentContract: hours into
minutes, windows into [start, end) minute ranges from the week's start. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.roster import AgentContract

__all__ = [
    "DEFAULT_CONTRACT",
    "Contract",
    "Window",
    "contract_to_dict",
    "parse_contract",
    "to_agent_contract",
]

MINUTES_PER_DAY: Final = 1440
MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
MAX_HOURS_WEEK: Final = 80.0  # 7 days of 10-hour shifts fit under it
MAX_SHIFT_HOURS: Final = 10  # the longest shift scheduling builds (scheduling.MAX_SHIFT_MINUTES)
MAX_WINDOWS: Final = 100
FIELD: Final = "contract"
_KEYS: Final = frozenset({"min_hours_week", "max_hours_week", "max_days_week", "unavailable"})
_WINDOW_KEYS: Final = frozenset({"day", "from", "to"})
_TIME: Final = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly time the agent cannot work: `day` (0 = Monday) from `start` to `end` minutes after
    that day's midnight; `end` may pass 1440 (the window ends the next day)."""

    day: int
    start: int  # 0..1439
    end: int  # start < end <= start + 1440


@dataclass(frozen=True, slots=True)
class Contract:
    """What an agent may be rostered for in a week."""

    min_hours_week: float = 0.0
    max_hours_week: float = 40.0
    max_days_week: int = 5
    unavailable: tuple[Window, ...] = ()


DEFAULT_CONTRACT: Final = Contract()


def parse_contract(raw: object, field: str = FIELD) -> Contract:
    """Check a contract's JSON (None: the default contract); ValidationFailed names the bad field,
    e.g. "contract.unavailable.2.to"."""
    if raw is None:
        return DEFAULT_CONTRACT
    if not isinstance(raw, Mapping):
        raise ValidationFailed(f"{field} must be an object (or null for the default contract)", field=field)
    unknown = sorted(str(k)[:40] for k in raw if k not in _KEYS)
    if unknown:
        raise ValidationFailed(f"{field}: unknown field(s) {', '.join(unknown[:5])}", field=f"{field}.{unknown[0]}")
    min_hours = _hours(raw.get("min_hours_week", DEFAULT_CONTRACT.min_hours_week), f"{field}.min_hours_week")
    max_hours = _hours(raw.get("max_hours_week", DEFAULT_CONTRACT.max_hours_week), f"{field}.max_hours_week")
    max_days = raw.get("max_days_week", DEFAULT_CONTRACT.max_days_week)
    if isinstance(max_days, bool) or not isinstance(max_days, int) or not 0 <= max_days <= 7:
        raise ValidationFailed("max_days_week must be a whole number from 0 to 7", field=f"{field}.max_days_week")
    if min_hours > max_hours:
        raise ValidationFailed("min_hours_week cannot exceed max_hours_week", field=f"{field}.min_hours_week")
    if min_hours > max_days * MAX_SHIFT_HOURS:
        raise ValidationFailed(
            f"min_hours_week cannot exceed max_days_week x {MAX_SHIFT_HOURS} h (the longest shift)",
            field=f"{field}.min_hours_week",
        )
    windows = _windows(raw.get("unavailable", []), f"{field}.unavailable")
    return Contract(min_hours, max_hours, max_days, windows)


def contract_to_dict(contract: Contract) -> dict[str, Any]:
    """The contract's stored JSON (the shape parse_contract reads)."""
    return {
        "min_hours_week": contract.min_hours_week,
        "max_hours_week": contract.max_hours_week,
        "max_days_week": contract.max_days_week,
        "unavailable": [
            {
                "day": w.day,
                "from": _clock(w.start),
                "to": _clock(w.end if w.end <= MINUTES_PER_DAY else w.end - MINUTES_PER_DAY),
            }
            for w in contract.unavailable
        ],
    }


def to_agent_contract(
    contract: Contract, agent_id: int, name: str, skills: frozenset[str], week_start: date | datetime
) -> AgentContract:
    """The scheduling model's view of the contract for the week starting on `week_start` (midnight).

    Windows become [start, end) minutes from the week's start. The week need not start on a Monday:
    a window's day is placed on its weekday within the week. A window running past the week's end
    is split into its part before the end and its part from the week's start (the week is cyclic)."""
    first_weekday = week_start.weekday()
    ranges: list[tuple[int, int]] = []
    for window in contract.unavailable:
        offset = ((window.day - first_weekday) % 7) * MINUTES_PER_DAY
        low, high = offset + window.start, offset + window.end
        if high <= MINUTES_PER_WEEK:
            ranges.append((low, high))
        else:
            ranges.append((low, MINUTES_PER_WEEK))
            ranges.append((0, high - MINUTES_PER_WEEK))
    return AgentContract(
        agent_id=agent_id,
        name=name,
        skills=skills,
        min_minutes=round(contract.min_hours_week * 60),
        max_minutes=round(contract.max_hours_week * 60),
        max_days=contract.max_days_week,
        unavailable=tuple(_merged(ranges)),
    )


# --- helpers -------------------------------------------------------------------------------------


def _hours(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(f"{field.rsplit('.', 1)[-1]} must be a number of hours", field=field)
    if not 0 <= value <= MAX_HOURS_WEEK:
        raise ValidationFailed(f"{field.rsplit('.', 1)[-1]} must be from 0 to {MAX_HOURS_WEEK:g} hours", field=field)
    return float(value)


def _windows(raw: object, field: str) -> tuple[Window, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_WINDOWS:
        raise ValidationFailed(f"unavailable must be a list of at most {MAX_WINDOWS} windows", field=field)
    out: list[Window] = []
    for index, item in enumerate(raw):
        where = f"{field}.{index}"
        if not isinstance(item, Mapping):
            raise ValidationFailed("each unavailable window is an object with day, from and to", field=where)
        extra = sorted(str(k)[:40] for k in item if k not in _WINDOW_KEYS)
        if extra:
            raise ValidationFailed(f"unknown field(s) {', '.join(extra[:5])}", field=f"{where}.{extra[0]}")
        day = item.get("day")
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValidationFailed("day must be a whole number from 0 (Monday) to 6 (Sunday)", field=f"{where}.day")
        start = _minute(item.get("from"), f"{where}.from")
        if start == MINUTES_PER_DAY:
            raise ValidationFailed('from must be a time from "00:00" to "23:59"', field=f"{where}.from")
        end = _minute(item.get("to"), f"{where}.to")
        if end == start:
            raise ValidationFailed("to must differ from from (to before from ends the next day)", field=f"{where}.to")
        out.append(Window(day, start, end if end > start else end + MINUTES_PER_DAY))
    return tuple(out)


def _minute(value: object, field: str) -> int:
    """Minutes after midnight of "HH:MM" (00:00..24:00)."""
    match = _TIME.match(value) if isinstance(value, str) else None
    minute = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not 0 <= minute <= MINUTES_PER_DAY:
        raise ValidationFailed('times are "HH:MM" from "00:00" to "24:00"', field=field)
    return minute


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ranges with overlapping or touching ones joined (fewer constraints for the solver)."""
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out
