"""`helpline simulate`: JSON shape, the human report, and one clear line for bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import helpline.cli.simulate  # noqa: F401  (registers the command on the app)
from helpline.cli import app


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(app, ["simulate", *args], env={"COLUMNS": "160"})
    assert "Traceback" not in result.output
    return result


def test_a_stationary_run_prints_json_with_the_erlang_prediction() -> None:
    result = invoke("--agents", "5", "--calls-per-interval", "100", "--calls", "2000", "--aht", "60", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "stationary" and data["calls"] > 1500 and data["calls_per_second"] > 0
    assert set(data["totals"]) >= {
        "start",
        "offered",
        "answered",
        "abandoned",
        "answered_in_target",
        "waited",
        "service_level",
        "p_wait",
        "asa",
        "abandon_rate",
        "occupancy",
        "agents",
        "unserved",
    }
    assert len(data["intervals"]) == 20 and data["interval_seconds"] == 1800.0
    assert data["erlang_model"] == "C" and data["erlang"]["load"] == pytest.approx(100 * 60 / 1800)
    assert data["totals"]["abandoned"] == 0 and 0 < data["totals"]["occupancy"] < 1
    again = json.loads(
        invoke("--agents", "5", "--calls-per-interval", "100", "--calls", "2000", "--aht", "60", "--json").stdout
    )
    assert again["totals"] == data["totals"]  # same seed, same run


def test_patience_gives_an_erlang_a_prediction_and_abandonment() -> None:
    result = invoke(
        "--agents", "3", "--calls-per-interval", "120", "--calls", "1500", "--aht", "60", "--patience", "20", "--json"
    )
    data = json.loads(result.stdout)
    assert data["erlang_model"] == "A" and data["totals"]["abandoned"] > 0 and data["erlang"]["abandon_rate"] > 0


def test_the_human_report_has_totals_against_erlang_and_a_chart() -> None:
    result = invoke(
        "--agents", "4", "--calls-per-interval", "80", "--calls", "800", "--aht", "60", "--handle", "lognormal"
    )
    assert result.exit_code == 0, result.output
    assert "Totals against Erlang C" in result.output and "Service level per interval" in result.output
    assert "█" in result.output and "Erlang assumes exponential handle times" in result.output


def test_a_rates_file_gives_one_row_per_interval(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("start,calls\n08:00,10\n08:30,60\n09:00,0\n", encoding="utf-8")
    data = json.loads(invoke("--agents", "2", "--rates", str(rates), "--aht", "120", "--json").stdout)
    assert data["mode"] == "rates" and data["erlang"] is None
    assert len(data["intervals"]) <= 3 and data["calls"] == sum(i["offered"] for i in data["intervals"])
    table = invoke("--agents", "2", "--rates", str(rates), "--aht", "120")
    assert table.exit_code == 0 and "Per interval" in table.output and "Totals" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agents", "0", "--calls-per-interval", "10"], "--agents must be"),
        (["--calls-per-interval", "10", "--calls", "0"], "--calls must be"),
        (["--calls-per-interval", "-3"], "--calls-per-interval must be"),
        (["--calls-per-interval", "nan"], "--calls-per-interval must be"),
        (["--calls-per-interval", "10", "--aht", "0"], "--aht must be"),
        (["--calls-per-interval", "10", "--patience", "0"], "--patience must be"),
        (["--calls-per-interval", "10", "--interval", "0"], "--interval must be"),
        (["--calls-per-interval", "10", "--target", "-1"], "--target must be"),
        ([], "say what arrives"),
        (["--rates", "/nonexistent/rates.csv"], "No such file"),
    ],
)
def test_bad_options_give_one_clear_line(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("start,volume\n08:00,3\n", "needs a `calls` column"),
        ("calls\n", "has no rows"),
        ("calls\nmany\n", "line 2: calls 'many' is not a number"),
        ("calls\n-5\n", "line 2: calls must be from 0"),
    ],
)
def test_a_bad_rates_file_is_refused_with_its_line(tmp_path: Path, content: str, message: str) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(content, encoding="utf-8")
    result = invoke("--rates", str(rates))
    assert result.exit_code == 1 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_simulate_explains_itself() -> None:
    result = CliRunner().invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0 and "--calls-per-interval" in result.output and "--trace" in result.output


TRACE_HEADER = (
    "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,q_exit,q_time,"
    "outcome,ser_start,ser_exit,ser_time,server"
)


def test_a_recorded_trace_is_replayed(tmp_path: Path) -> None:
    trace = tmp_path / "calls.csv"
    trace.write_text(
        "\n".join(
            [
                TRACE_HEADER,
                "AA01,1,0,0,PS,1999-08-02,8:00:00,8:00:09,9,0:00:00,0:00:00,0,AGENT,8:00:10,8:02:10,120,DANA",
                "AA01,2,0,0,PS,1999-08-02,8:01:00,8:01:04,4,8:01:04,8:01:24,20,AGENT,8:02:10,8:04:00,110,DANA",
                "AA01,3,0,0,PS,1999-08-02,8:01:30,8:01:35,5,8:01:35,8:02:05,30,HANG,0:00:00,0:00:00,0,NO_SERVER",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = invoke("--trace", str(trace), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "trace" and data["calls"] == 3 and data["erlang"] is None
    assert data["totals"]["offered"] == 3
    # Two calls queued, one of them hung up: the figure the replay is compared with.
    assert data["trace"]["recorded_queued_abandon_rate"] == 0.5
    assert 0 <= data["trace"]["simulated_queued_abandon_rate"] <= 1


def test_a_file_that_is_not_a_trace_is_refused(tmp_path: Path) -> None:
    trace = tmp_path / "calls.csv"
    trace.write_text("when,who\n1,2\n", encoding="utf-8")
    result = invoke("--trace", str(trace))
    assert result.exit_code == 1 and result.output.startswith("error:") and "columns" in result.output
