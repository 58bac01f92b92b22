"""`helpline staffing`: the textbook answer, JSON output, Erlang A, email plans from a file, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

import helpline.cli.staffing  # noqa: F401  (registers the command on the app)
from helpline.cli import app


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, ["staffing", *args], env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    return result


def test_textbook_case_says_fourteen_agents() -> None:
    result = run("--calls", "100", "--interval", "30", "--aht", "180", "--target", "20", "--service-level", "80")
    assert result.exit_code == 0, result.output
    assert "14 agents" in result.output
    assert "20 to schedule with 30% shrinkage" in result.output
    # The neighbours around the answer are shown, the answer marked.
    for agents in ("12", "13", "14", "15", "16", "17"):
        assert f"│ {agents:>6} │" in result.output
    assert "answer" in result.output and "misses" in result.output


def test_json_output_has_the_answer_and_its_neighbours() -> None:
    result = run("--calls", "100", "--aht", "180", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["model"] == "erlang_c"
    assert (answer["load"], answer["required"], answer["scheduled"]) == (10.0, 14, 20)
    assert [row["agents"] for row in answer["neighbours"]] == [12, 13, 14, 15, 16, 17]
    assert [row["meets"] for row in answer["neighbours"]] == [False, False, True, True, True, True]
    assert answer["neighbours"][2]["answer"] is True
    assert answer["service_level"] > 0.8 and answer["p_abandon"] is None


def test_patience_switches_to_erlang_a() -> None:
    result = run("--calls", "100", "--aht", "180", "--patience", "120", "--abandon", "5", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["model"] == "erlang_a"
    assert answer["p_abandon"] <= 0.05 and answer["required"] <= 14
    assert all(row["p_abandon"] is not None for row in answer["neighbours"])


def test_a_file_of_intervals_gives_a_plan_and_totals(tmp_path: Path) -> None:
    counts = tmp_path / "calls.csv"
    counts.write_text(
        "start,calls,aht\n2026-03-02T09:00,100,180\n2026-03-02T09:30,200,\n2026-03-02T10:00,0,200\n", encoding="utf-8"
    )
    result = run("--calls-file", str(counts), "--aht", "240", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["model"] == "erlang_c"
    assert plan["intervals"][0]["required"] == 14
    assert plan["intervals"][1]["aht"] == 240.0  # no aht in the row: the option's
    assert plan["intervals"][2]["required"] == 0
    assert plan["summary"]["peak_required"] == max(row["required"] for row in plan["intervals"])
    table = run("--calls-file", str(counts), "--aht", "240")
    assert table.exit_code == 0 and "peak" in table.output and "agent-hours" in table.output


def test_email_uses_the_backlog_model(tmp_path: Path) -> None:
    rows = ["start,calls,aht,open"]
    for hour in range(24):
        rows.append(f"2026-03-02T{hour:02d}:00,{30 if 8 <= hour < 18 else 4},300,{1 if 8 <= hour < 20 else 0}")
    counts = tmp_path / "email.csv"
    counts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run(
        "--calls-file", str(counts), "--interval", "60", "--channel", "email", "--deadline-hours", "24", "--json"
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["model"] == "backlog" and plan["deadline_hours"] == 24
    intervals = plan["intervals"]
    assert all(row["required"] == 0 for row in intervals[:8] + intervals[20:])  # closed at night
    work_hours = sum(row["calls"] * row["aht"] for row in intervals) / 3600
    assert plan["summary"]["required_hours"] >= work_hours
    assert plan["summary"]["max_age_hours"] < 24
    table = run("--calls-file", str(counts), "--interval", "60", "--channel", "email", "--deadline-hours", "24")
    assert table.exit_code == 0 and "Largest backlog" in table.output


def test_bad_input_is_one_clear_line_and_exit_one(tmp_path: Path) -> None:
    cases = [
        (["--calls", "100"], "--aht"),
        (["--calls", "100", "--aht", "0"], "aht must lie in"),
        (["--calls", "-5", "--aht", "180"], "calls must lie in"),
        (["--calls", "100", "--aht", "180", "--interval", "7"], "interval_minutes must be"),
        (["--calls", "100", "--aht", "180", "--abandon", "5"], "patience"),
        (["--calls", "100", "--aht", "180", "--service-level", "100"], "below 100"),
        (["--calls", "100", "--aht", "180", "--shrinkage", "99"], "shrinkage_percent"),
        (["--calls", "nan", "--aht", "180"], "finite"),
        (["--aht", "180"], "either --calls"),
        (["--calls-file", str(tmp_path / "missing.csv"), "--aht", "180"], "missing.csv"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("start,calls\n2026-03-02T09:00,10\nyesterday,5\n", encoding="utf-8")
    cases.append((["--calls-file", str(bad), "--aht", "180"], "line 3"))
    shut = tmp_path / "shut.csv"
    shut.write_text("start,calls,open\n2026-03-02T09:00,10,0\n2026-03-02T09:30,5,0\n", encoding="utf-8")
    cases.append((["--calls-file", str(shut), "--aht", "180", "--channel", "email"], "no interval is open"))
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
        assert result.output.count("error:") == 1
