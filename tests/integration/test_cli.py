"""The `helpline` command: in-process with CliRunner on both databases, and as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpline.bootstrap import Container
from helpline.cli import app, reset_database
from helpline.storage import migrate
from helpline.storage.db import make_engine

FIXTURE = Path(__file__).parent.parent / "fixtures" / "customers_mixed.csv"
PASSWORD = "long enough password"


def invoke(url: str, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), env={"HELPLINE_DATABASE_URL": url, "COLUMNS": "200"}, input=input)
    assert "Traceback" not in result.output
    return result


def tally(output: str) -> dict[str, int]:
    """The numbers of the import summary table: {'created': 6, 'updated': 0, ...}."""
    found = re.findall(r"│ (\w+)[^│]*│\s+([\d,]+) │", output)
    return {label: int(number.replace(",", "")) for label, number in found}


def url_of(container: Container) -> str:
    return container.settings.database_url


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["db"],
        ["tenant", "create"],
        ["user", "create"],
        ["import", "customers"],
        ["export"],
        ["demo"],
        ["serve"],
        ["forecast"],
    ],
)
def test_every_command_explains_itself(args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output and "--help" in result.output
    assert len(result.output.split()) > 15


def test_tenant_and_user_creation(container: Container) -> None:
    url = url_of(container)
    created = invoke(url, "tenant", "create", "--slug", "acme", "--name", "Acme Cards", "--region", "US")
    assert created.exit_code == 0 and "Created tenant acme" in created.output
    again = invoke(url, "tenant", "create", "--slug", "acme", "--name", "Again")
    assert again.exit_code == 1 and again.output.strip() == "error: a tenant with slug 'acme' already exists"
    bad_zone = invoke(url, "tenant", "create", "--slug", "b", "--name", "B", "--timezone", "Mars/Olympus")
    assert bad_zone.exit_code == 1 and "timezone must be an IANA zone" in bad_zone.output
    agent = invoke(url, "user", "create", "--email", "Ann@X.test", "--name", "Ann", "--role", "agent",
                   "--tenant", "acme", "--password", PASSWORD)  # fmt: skip
    assert agent.exit_code == 0 and "Created agent ann@x.test" in agent.output
    prompted = invoke(url, "user", "create", "--email", "boss@x.test", "--name", "Boss", "--role", "admin",
                      input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert prompted.exit_code == 0 and "Created admin" in prompted.output
    for args, message in (
        (["--role", "wizard", "--tenant", "acme"], "role must be one of"),
        (["--role", "agent", "--tenant", "nowhere"], "no tenant with slug 'nowhere'"),
        (["--role", "agent"], "must serve at least one tenant"),
    ):
        failed = invoke(url, "user", "create", "--email", "c@x.test", "--name", "C", "--password", PASSWORD, *args)
        assert failed.exit_code == 1 and message in failed.output and failed.output.count("\n") == 1
    short = invoke(url, "user", "create", "--email", "d@x.test", "--name", "D", "--role", "admin", "--password", "x")
    assert short.exit_code == 1 and "password must be" in short.output


def test_import_summarises_and_lists_bad_rows_then_export_streams(container: Container, tmp_path: Path) -> None:
    url = url_of(container)
    assert invoke(url, "tenant", "create", "--slug", "acme", "--name", "Acme", "--region", "US").exit_code == 0
    errors = tmp_path / "errors.csv"
    first = invoke(url, "import", "customers", str(FIXTURE), "--tenant", "acme", "--errors-out", str(errors))
    assert first.exit_code == 0, first.output
    assert tally(first.output) == {"created": 6, "updated": 0, "unchanged": 0, "duplicates": 4, "errors": 9}
    assert "line 9: the line is not valid UTF-8" in first.output
    assert "line 12: same external_ref C-002 as line 3" in first.output
    refused = errors.read_text().splitlines()
    assert refused[0].startswith("line,error,external_ref,first_name") and len(refused) == 10
    assert refused[1].startswith("4,email is not a valid email address,C-003,Carla")
    second = invoke(url, "import", "customers", str(FIXTURE), "--tenant", "acme")
    assert second.exit_code == 0
    assert tally(second.output) == {"created": 0, "updated": 0, "unchanged": 6, "duplicates": 4, "errors": 9}

    out = tmp_path / "customers.csv"
    exported = invoke(url, "export", "customers", "--tenant", "acme", "--out", str(out))
    assert exported.exit_code == 0 and "Exported 6 customers" in exported.output
    assert out.read_text().splitlines()[0].startswith("id,external_ref,name,email,phone")
    streamed = invoke(url, "export", "customers", "--tenant", "acme", "--format", "jsonl")
    names = [json.loads(line)["name"] for line in streamed.stdout.splitlines()]
    assert "Zoé Côté" in names and len(names) == 6
    cases = invoke(url, "export", "cases", "--tenant", "acme")
    assert cases.exit_code == 0 and cases.stdout.startswith("id,customer_id,subject")


def test_import_and_export_failures_are_one_line(container: Container, tmp_path: Path) -> None:
    url = url_of(container)
    invoke(url, "tenant", "create", "--slug", "acme", "--name", "Acme")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,email\nAnn,not-an-email\n")
    cases = [
        (["import", "customers", str(FIXTURE), "--tenant", "nowhere"], "no tenant with slug 'nowhere'"),
        (["import", "customers", str(tmp_path / "missing.csv"), "--tenant", "acme"], "missing.csv"),
        (["export", "customers", "--tenant", "nowhere"], "no tenant with slug"),
    ]
    for args, message in cases:
        result = invoke(url, *args)
        assert result.exit_code == 1 and message in result.output
        assert result.output.startswith("error: ") and result.output.count("\n") == 1
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = invoke(url, "import", "customers", str(empty), "--tenant", "acme")
    assert result.exit_code == 1 and "the file is empty" in result.output
    # Nothing loaded and only errors: exit code 1, with the errors listed.
    result = invoke(url, "import", "customers", str(bad), "--tenant", "acme")
    assert result.exit_code == 1 and "line 2: email is not a valid email address" in result.output
    many = tmp_path / "many.csv"
    many.write_bytes(b"name,email\n" + b"".join(f"N{i},bad{i}\n".encode() for i in range(25)) + b"Ok,ok@example.com\n")
    result = invoke(url, "import", "customers", str(many), "--tenant", "acme")
    assert result.exit_code == 0 and "line 21: email is not a valid" in result.output
    assert "line 22:" not in result.output and "... and 5 more (see --errors-out)" in result.output
    wrong_kind = invoke(url, "export", "users", "--tenant", "acme")
    assert wrong_kind.exit_code == 2 and "users" in wrong_kind.output  # Typer's own usage error


def test_an_unmigrated_database_and_markup_in_names_are_reported_plainly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = invoke(url, "tenant", "create", "--slug", "acme", "--name", "Acme")
    assert result.exit_code == 1 and "run `helpline db upgrade` first" in result.output
    assert invoke(url, "db", "current").stdout.startswith("none")
    invoke(url, "db", "upgrade")
    created = invoke(url, "tenant", "create", "--slug", "acme", "--name", "[/x] [bold]Acme")
    assert created.exit_code == 0 and "([/x] [bold]Acme)" in created.output  # printed, not interpreted
    missing = invoke(url, "export", "cases", "--tenant", "[/oops]")
    assert missing.exit_code == 1 and "no tenant with slug '[/oops]'" in missing.output


def test_db_commands(container: Container) -> None:
    current = invoke(url_of(container), "db", "current")
    assert current.exit_code == 0 and current.stdout.strip() and "none" not in current.stdout
    upgraded = invoke(url_of(container), "db", "upgrade")
    assert upgraded.exit_code == 0 and "Database at revision" in upgraded.output


def test_demo_loads_once_prints_logins_and_resets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    invoke(url, "db", "upgrade")
    invoke(url, "tenant", "create", "--slug", "mine", "--name", "Mine")
    refused = invoke(url, "demo", "--no-serve")
    assert refused.exit_code == 1 and "already holds other data" in refused.output
    loaded = invoke(url, "demo", "--reset", "--no-serve", "--port", "8123")
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 5,000 customers" in loaded.output and "http://127.0.0.1:8123/" in loaded.output
    for text in ("admin@helpline.demo", "helpline-demo-admin", "supervisor@helpline.demo", "agent@helpline.demo",
                 "client.cardinal@helpline.demo", "client_manager"):  # fmt: skip
        assert text in loaded.output
    again = invoke(url, "demo", "--no-serve")
    assert again.exit_code == 0 and "already loaded" in again.output and "Loaded" not in again.output


def test_reset_drops_every_table(container: Container) -> None:
    """SQLite: the file is deleted; a database server: every table is dropped by migrating down."""
    url = url_of(container)
    invoke(url, "tenant", "create", "--slug", "acme", "--name", "Acme")
    container.close()  # pooled connections would otherwise keep the old SQLite file alive
    reset_database(url)
    assert migrate.current_revision(url) is None
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM tenants").scalar_one() == 0
    finally:
        engine.dispose()


COMMAND = (
    [str(Path(sys.executable).parent / "helpline")]
    if (Path(sys.executable).parent / "helpline").exists()
    else [sys.executable, "-m", "helpline"]
)


def test_serve_migrates_and_answers(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HELPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    server = subprocess.Popen(
        [*COMMAND, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert json.load(response)["status"] == "ok"
                    break
            except OSError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert migrate.current_revision(env["HELPLINE_DATABASE_URL"]) is not None


def test_real_subprocess_upgrades_and_imports(tmp_path: Path) -> None:
    command = COMMAND
    env = {**os.environ, "HELPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'sub.db'}"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False)

    assert run("db", "upgrade").returncode == 0
    assert run("tenant", "create", "--slug", "acme", "--name", "Acme", "--region", "US").returncode == 0
    imported = run("import", "customers", str(FIXTURE), "--tenant", "acme")
    assert imported.returncode == 0, imported.stderr
    assert "created" in imported.stderr and "line 5: phone is not a valid phone number" in imported.stderr
    assert "Traceback" not in imported.stderr
    exported = run("export", "customers", "--tenant", "acme", "--format", "jsonl")
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 6
    missing = run("import", "customers", str(tmp_path / "nope.csv"), "--tenant", "acme")
    assert missing.returncode == 1 and missing.stderr.startswith("error:") and "Traceback" not in missing.stderr


def _counts_file(path: Path, weeks: int, bad_line: str | None = None) -> Path:
    """Half-hourly counts with a weekly pattern: busy weekdays, quiet weekends, a midday peak."""
    from datetime import datetime, timedelta

    start = datetime(2026, 1, 5)  # a Monday
    rows = ["date,start,calls"]
    for i in range(weeks * 7 * 48):
        at = start + timedelta(minutes=30 * i)
        busy = 1.0 if at.weekday() < 5 else 0.3
        rows.append(f"{at:%Y-%m-%d},{at:%H:%M},{round(busy * (10 + 20 * (10 <= at.hour < 16)))}")
    if bad_line is not None:
        rows.insert(3, bad_line)
    path.write_text("\n".join(rows) + "\n")
    return path


def test_forecast_backtests_and_forecasts_as_table_or_json(tmp_path: Path) -> None:
    counts = _counts_file(tmp_path / "counts.csv", weeks=6)
    url = f"sqlite:///{tmp_path / 'unused.db'}"
    shown = invoke(url, "forecast", str(counts), "--backtest-weeks", "2", "--days", "3")
    assert shown.exit_code == 0, shown.output
    assert "Backtest, last 2 weeks" in shown.output and "seasonal naive" in shown.output
    data = json.loads(invoke(url, "forecast", str(counts), "--backtest-weeks", "2", "--days", "1", "--json").stdout)
    assert data["interval_minutes"] == 30 and len(data["backtest"]["weeks"]) == 2
    assert data["backtest"]["wape"] < 0.01  # a steady weekly pattern is forecast exactly
    assert len(data["forecast"]) == 48 and data["forecast"][0]["start"] == "2026-02-16T00:00:00"
    assert data["forecast"][24]["calls"] == pytest.approx(30)  # Monday noon


def test_forecast_refuses_bad_files_with_the_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unused.db'}"
    bad_row = _counts_file(tmp_path / "bad.csv", weeks=2, bad_line="2026-01-05,00:xx,3")
    result = invoke(url, "forecast", str(bad_row))
    assert result.exit_code == 1 and "line 4" in result.output
    (tmp_path / "cols.csv").write_text("when,calls\n2026-01-05 00:00,3\n")
    result = invoke(url, "forecast", str(tmp_path / "cols.csv"))
    assert result.exit_code == 1 and "missing: date, start" in result.output
    short = _counts_file(tmp_path / "short.csv", weeks=1)
    result = invoke(url, "forecast", str(short), "--backtest-weeks", "0")
    assert result.exit_code == 0  # one week is enough to forecast without a backtest
    result = invoke(url, "forecast", str(short), "--special-days", "26-01-01")
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output
    assert invoke(url, "forecast", str(tmp_path / "absent.csv")).exit_code == 1
