"""`helpline schedule`: tables and JSON from a requirements CSV, a roster from a config, refused input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import helpline.cli.schedule  # noqa: F401  (registers the command on the app)
from helpline.cli import app

MONDAY = datetime(2026, 11, 23)
TEMPLATES = [
    {"name": "8h", "minutes": 480, "earliest_start": "08:00", "latest_start": "10:00", "start_step": 60,
     "breaks": [{"kind": "lunch", "minutes": 30, "earliest_after": 180, "latest_after": 240}]},
    {"name": "4h", "minutes": 240, "earliest_start": "08:00", "latest_start": "14:00", "start_step": 60,
     "cost_per_hour": 1.2},
]  # fmt: skip


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, ["schedule", *args], env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    return result


def write_requirements(path: Path, rows: list[str] | None = None) -> Path:
    """Two skills, 30-minute intervals: en needs 2 from 09:00 to 17:00 on weekdays, fr 1 from 10:00 to 14:00."""
    lines = ["start,skill,required"]
    for step in range(7 * 48):
        moment = MONDAY + timedelta(minutes=30 * step)
        weekday, hour = moment.weekday() < 5, moment.hour
        lines.append(f"{moment:%Y-%m-%d %H:%M},en,{2 if weekday and 9 <= hour < 17 else 0}")
        if weekday and 10 <= hour < 14:
            lines.append(f"{moment:%Y-%m-%d %H:%M},fr,1")
    path.write_text("\n".join(rows if rows is not None else lines) + "\n", encoding="utf-8")
    return path


def write_config(path: Path, **extra: object) -> Path:
    agents = [
        {"id": 1, "name": "Ann", "skills": ["en"], "max_minutes": 2400},
        {"id": 2, "name": "Bob", "skills": ["en"], "max_minutes": 2400,
         "unavailable": [["2026-11-25 00:00", "2026-11-26 00:00"]]},
        {"id": 3, "name": "Cid", "skills": ["en", "fr"], "max_minutes": 2400},
        {"id": 4, "name": "Dee", "skills": ["fr"], "max_minutes": 1200, "templates": ["4h"]},
    ]  # fmt: skip
    path.write_text(json.dumps({"templates": TEMPLATES, "agents": agents, **extra}), encoding="utf-8")
    return path


def test_stage_one_with_default_templates_prints_summary_chart_and_shifts(tmp_path: Path) -> None:
    result = run(str(write_requirements(tmp_path / "need.csv")), "--time-limit", "5")
    assert result.exit_code == 0, result.output
    for text in ("objective", "LP bound", "gap", "under-coverage", "Scheduled / required", "Planned shifts"):
        assert text in result.output
    assert "09:00" in result.output and "Mon 23" in result.output


def test_json_carries_the_roster_and_the_coverage(tmp_path: Path) -> None:
    need = write_requirements(tmp_path / "need.csv")
    result = run(str(need), "--config", str(write_config(tmp_path / "config.json")), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["week_start"] == "2026-11-23 00:00" and data["interval_minutes"] == 30
    summary = data["summary"]
    assert summary["status"] in ("optimal", "feasible") and summary["roster_status"] in ("optimal", "feasible")
    assert summary["gap"] >= 0 and summary["lp_bound"] <= summary["objective"] + 1e-6
    assert set(data["required"]) == {"en", "fr"} and len(data["scheduled"]["en"]) == 7 * 48
    shifts = data["shifts"]
    assert shifts and summary["shifts"] == len(shifts)
    names = {1: "Ann", 2: "Bob", 3: "Cid", 4: "Dee"}
    for shift in shifts:
        if shift["agent_id"] is not None:
            assert shift["agent"] == names[shift["agent_id"]]
        assert shift["activities"][0]["start"] == shift["start"] and shift["activities"][-1]["end"] == shift["end"]
        if shift["agent_id"] == 2:
            assert not shift["start"].startswith("2026-11-25")  # Bob is away on Wednesday
        if shift["agent_id"] == 4:
            assert shift["template"] == "4h" and shift["skill"] == "fr"
    assert summary["unstaffed"] == sum(1 for s in shifts if s["agent_id"] is None)


def test_the_roster_table_names_agents(tmp_path: Path) -> None:
    need = write_requirements(tmp_path / "need.csv")
    result = run(str(need), "--config", str(write_config(tmp_path / "config.json")))
    assert result.exit_code == 0, result.output
    assert "Roster" in result.output and "Ann" in result.output and "lunch" in result.output


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ["start,skill,required", "2026-11-23 00:00,en,1", "23/11/2026 00:30,en,1"],
            "line 3: start '23/11/2026 00:30'",
        ),
        (["start,skill,required", "2026-11-23 00:00,en,1", "2026-11-23 00:30,en,lots"], "line 3: required 'lots'"),
        (["start,skill,required", "2026-11-23 00:00,en,-2"], "line 2: required must be a number >= 0"),
        (["start,skill,required", "2026-11-23 00:00,en,nan"], "line 2: required must be a number >= 0"),
        (["start,skill,required", "2026-11-23 00:00,en,1", "2026-11-23 00:00,en,2"], "line 3: a second row for en"),
        (
            ["start,skill,required", "2026-11-23 00:00,en,1", "2026-12-01 00:00,en,1"],
            "line 3: 2026-12-01 00:00 is past",
        ),
        (["when,calls", "2026-11-23 00:00,1"], "must name the columns start and required"),
        (["start,skill,required"], "no rows"),
    ],
)
def test_refused_requirements_name_the_line(tmp_path: Path, rows: list[str], message: str) -> None:
    result = run(str(write_requirements(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 1
    assert result.output.startswith("error:") and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_row_off_the_interval_grid_is_refused(tmp_path: Path) -> None:
    rows = ["start,required", "2026-11-23 00:00,1", "2026-11-23 00:30,1", "2026-11-23 00:40,1"]
    result = run(str(write_requirements(tmp_path / "grid.csv", rows)), "--interval", "30")
    assert result.exit_code == 1 and "line 4: 00:40 is not on the 30-minute grid" in result.output


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "not JSON"),
        ('{"shifts": []}', "expected an object with templates and/or agents"),
        ('{"templates": [{"name": "x", "minutes": "eight"}]}', "templates[0].minutes must be a whole number"),
        ('{"templates": [{"name": "x", "minutes": 120, "earliest_start": "09:00"}]}', "length must be 240-600"),
        ('{"agents": [{"id": 1, "skills": "en"}]}', "agents[0].skills must be a list"),
        ('{"agents": [{"id": 1, "skills": ["en"], "unavailable": [["soon", "later"]]}]}', "unavailable[0] must be"),
    ],
)
def test_refused_config_says_what_is_wrong(tmp_path: Path, config: str, message: str) -> None:
    need = write_requirements(tmp_path / "need.csv")
    path = tmp_path / "config.json"
    path.write_text(config, encoding="utf-8")
    result = run(str(need), "--config", str(path))
    assert result.exit_code == 1 and message in result.output, result.output


def test_missing_file_and_bad_time_limit(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 1 and "nowhere.csv" in missing.output
    need = write_requirements(tmp_path / "need.csv")
    assert "--time-limit must be" in run(str(need), "--time-limit", "0").output


def test_help_explains_the_inputs() -> None:
    result = CliRunner().invoke(app, ["schedule", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "requirements" in result.output.lower() and "--config" in result.output
