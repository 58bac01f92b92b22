"""The `helpline` command: serve, demo, database migrations, tenants, users, customer import and export, forecast."""

from __future__ import annotations

import csv
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TextIO, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from helpline.bootstrap import Container, build
from helpline.config import Settings
from helpline.domain.errors import DomainError, NotFound
from helpline.domain.permissions import Principal
from helpline.domain.vocabulary import Role
from helpline.services import demo, exporter, forecasting, importer, tenants, users
from helpline.storage import migrate

P = ParamSpec("P")
R = TypeVar("R")

# Messages, tables and progress bars go to stderr: stdout carries data (`export` without --out).
console = Console(stderr=True, highlight=False)
# The command line is trusted like an administrator; user_id None marks its audit entries.
CLI_PRINCIPAL = Principal(role=Role.ADMIN, tenant_ids=None, name="helpline command line")

app = typer.Typer(
    help="Helpline: an open-source contact-center platform with a built-in CRM.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
tenant_app = typer.Typer(help="Client companies (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")


class ExportKind(StrEnum):
    customers = "customers"
    interactions = "interactions"
    cases = "cases"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


# --- plumbing -------------------------------------------------------------------------------------


class Failure(Exception):
    """A message for the user; the command ends with exit code 1."""


def friendly(command: Callable[P, R]) -> Callable[P, R]:
    """Report any error as one readable line and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Failure as exc:
            _fail(str(exc))
        except DomainError as exc:
            _fail(exc.detail)
        except OSError as exc:
            where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
            _fail(f"{exc.strerror or exc}{where}")
        except Exception as exc:  # the last resort: still one line, with the kind of error
            first_line = (str(exc).strip().splitlines() or [""])[0]
            _fail(f"{type(exc).__name__}: {first_line}"[:500])

    return wrapper


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(1)


def _settings() -> Settings:
    # Read afresh on each command (not the cached get_settings) so the environment of this run wins.
    return Settings()


@contextmanager
def _container(settings: Settings | None = None) -> Iterator[Container]:
    settings = settings or _settings()
    if migrate.current_revision(settings.database_url) is None:
        raise Failure("the database has no tables yet; run `helpline db upgrade` first")
    container = build(settings)
    try:
        yield container
    finally:
        container.close()


def _tenant_id(container: Container, slug: str) -> int:
    try:
        tenant = tenants.resolve_slug(container.deps, CLI_PRINCIPAL, slug)
    except NotFound:
        raise Failure(f"no tenant with slug {slug!r} (see `helpline tenant create`)") from None
    return int(tenant.id)


def _serve(host: str, port: int) -> None:
    import uvicorn

    # By name, as uvicorn's factory: the web layer builds its own container from the same settings
    # (and the command line, a sibling shell, does not import it).
    uvicorn.run("helpline.web.app:create_app", factory=True, host=host, port=port)


HostOption = Annotated[str | None, typer.Option(help="Address to listen on (default: HELPLINE_HOST, else 127.0.0.1).")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on (default: HELPLINE_PORT, else 8000).")]
TenantOption = Annotated[str, typer.Option("--tenant", help="The tenant's slug.", show_default=False)]


# --- serve and demo -------------------------------------------------------------------------------


@app.command()
@friendly
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Migrate the database, then run the web application."""
    settings = _settings()
    migrate.upgrade(settings.database_url)
    _serve(host or settings.host, port or settings.port)


@app.command("demo")
@friendly
def demo_command(
    seed: Annotated[int, typer.Option(help="Seed of the generated data: the same seed gives the same data.")] = (
        demo.DEFAULT_SEED
    ),
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete all data first (the SQLite file, or every table).")
    ] = False,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Load the data and print the logins, then stop.")
    ] = False,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Run Helpline with demo data: three client companies, their staff and six months of history.

    The data is loaded when the database is empty (or after --reset); its history ends today.
    """
    settings = _settings()
    address, port_number = host or settings.host, port or settings.port
    if reset:
        reset_database(settings.database_url)
    migrate.upgrade(settings.database_url)
    with _container(settings) as container:
        state = demo.database_state(container.deps)
        if state == "other":
            raise Failure("the database already holds other data; use --reset to wipe it, or set HELPLINE_DATABASE_URL")
        if state == "empty":
            _load_demo(container, seed)
        else:
            console.print("Demo data already loaded (use --reset to start again).")
        _print_logins(f"http://{address}:{port_number}/")
    if not no_serve:
        _serve(address, port_number)


def _load_demo(container: Container, seed: int) -> None:
    started = time.perf_counter()
    with console.status("Loading demo data...") as status:
        summary = demo.load_demo(
            container.deps, seed, progress=lambda step: status.update(f"Loading demo data: {step}")
        )
    elapsed = time.perf_counter() - started
    console.print(
        f"Loaded {summary.total('customers'):,} customers, {summary.total('interactions'):,} interactions, "
        f"{summary.total('messages'):,} messages and {summary.total('cases'):,} cases "
        f"in {elapsed:.1f} s (seed {seed}, history ending {summary.base:%Y-%m-%d %H:%M} UTC)."
    )


def _print_logins(url: str) -> None:
    table = Table(title=f"Helpline demo at {url}", title_justify="left")
    for column in ("role", "email", "password"):
        table.add_column(column)
    for login in demo.demo_logins():
        table.add_row(login.role, login.email, login.password)
    console.print(table)


def reset_database(url: str) -> None:
    """SQLite: delete the database file. Other databases: drop every table by migrating down."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///").split("?", 1)[0]
        if path and path != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
            console.print(f"Deleted {path}.", markup=False)
            return
    if migrate.current_revision(url) is not None:
        migrate.downgrade_to_base(url)
        console.print("Dropped all tables.")


# --- database -------------------------------------------------------------------------------------


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply all pending migrations (creates the database if needed)."""
    url = _settings().database_url
    migrate.upgrade(url)
    console.print(f"Database at revision {migrate.current_revision(url)}.")


@db_app.command("current")
@friendly
def db_current() -> None:
    """Print the database's current revision."""
    revision = migrate.current_revision(_settings().database_url)
    typer.echo(revision or "none (the database has not been migrated; run `helpline db upgrade`)")


# --- tenants and users ----------------------------------------------------------------------------


@tenant_app.command("create")
@friendly
def tenant_create(
    slug: Annotated[str, typer.Option(help="Short name used in URLs: lowercase letters, digits, dashes.")],
    name: Annotated[str, typer.Option(help="The company's name as people read it.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. America/Montreal.")] = "UTC",
    language: Annotated[str, typer.Option(help="Default language tag, e.g. en or fr-CA.")] = "en",
    region: Annotated[
        str | None, typer.Option(help="Two-letter country for phone numbers written without +, e.g. CA.")
    ] = None,
) -> None:
    """Create a client company."""
    with _container() as container:
        tenant = tenants.create_tenant(container.deps, None, slug, name, timezone, language, region)
    console.print(f"Created tenant {tenant.slug} ({tenant.name}), id {tenant.id}.", markup=False)


@user_app.command("create")
@friendly
def user_create(
    email: Annotated[str, typer.Option(help="Sign-in email address.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[str, typer.Option(help="admin, supervisor, agent or client_manager.")],
    tenant: Annotated[
        list[str] | None, typer.Option("--tenant", help="Slug of a tenant the user serves (repeat for several).")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="At least 10 characters; asked for (hidden) when not given.")
    ] = None,
) -> None:
    """Create a staff account."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _container() as container:
        tenant_ids = [_tenant_id(container, slug) for slug in tenant or []]
        user = users.create_user(container.deps, None, email, name, role, password, tenant_ids)
    console.print(f"Created {user.role} {user.email}, id {user.id}.", markup=False)


# --- import and export ----------------------------------------------------------------------------


@import_app.command("customers")
@friendly
def import_customers(
    file: Annotated[Path, typer.Argument(help="CSV file, UTF-8, first line naming the columns.", show_default=False)],
    tenant: TenantOption,
    errors_out: Annotated[
        Path | None, typer.Option("--errors-out", help="Write the refused rows (line, reason, cells) to this CSV file.")
    ] = None,
) -> None:
    """Import customers from CSV: new ones are created, known ones updated (matched by external_ref,
    else by email or phone), so running a file twice creates nothing.

    Columns (case-insensitive): external_ref, name (or first_name and last_name), email, phone,
    company, language, segment, tier, consent_<purpose> (yes/no), consent_channel, consent_source.
    Other columns become customer attributes. Bad rows are listed with their line number; the
    good rows go in. Exit code 0 when any row was loaded.
    """
    with _container() as container:
        tenant_id = _tenant_id(container, tenant)
        size = file.stat().st_size
        started = time.perf_counter()
        with file.open("rb") as stream, _progress() as progress:
            task = progress.add_task(f"Importing {file.name}", total=size)
            report = importer.import_customers(
                container.deps,
                CLI_PRINCIPAL,
                tenant_id,
                stream,
                source=file.name,
                progress=lambda done: progress.update(task, completed=done),
            )
        elapsed = time.perf_counter() - started
    _print_import(report, elapsed)
    if errors_out is not None:
        _write_errors(errors_out, report)
        console.print(f"Refused rows written to {errors_out}.", markup=False)
    if report.refused and report.loaded == 0:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _print_import(report: importer.ImportReport, elapsed: float) -> None:
    title = f"Import of {escape(report.source)} ({report.rows:,} rows, {elapsed:.1f} s)"
    table = Table(title=title, title_justify="left")
    table.add_column("result")
    table.add_column("rows", justify="right")
    for label, value in (
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("duplicates (merged into an earlier row's customer)", len(report.duplicates)),
        ("errors (not loaded)", report.refused),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    _print_problems("Duplicates", [f"line {d.line}: same {d.matched_by} as {_origin(d)}" for d in report.duplicates])
    _print_problems("Errors", [f"line {e.line}: {e.reason}" for e in report.errors], total=report.refused)
    _print_problems("Warnings", [f"line {w.line}: {w.reason}" for w in report.warnings])


def _origin(duplicate: importer.Duplicate) -> str:
    customer = f"customer {duplicate.customer_id}" if duplicate.customer_id else "a customer"
    return f"line {duplicate.first_line} ({customer})" if duplicate.first_line else customer


def _print_problems(title: str, lines: list[str], shown: int = 20, total: int | None = None) -> None:
    if not lines:
        return
    console.print(f"[bold]{title}:[/]")
    for text in lines[:shown]:
        console.print(f"  {text}", markup=False, soft_wrap=True)
    hidden = (total if total is not None else len(lines)) - min(shown, len(lines))
    if hidden > 0:
        console.print(f"  ... and {hidden:,} more" + (" (see --errors-out)" if title == "Errors" else ""))


def _write_errors(path: Path, report: importer.ImportReport) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["line", "error", *report.header])
        for problem in report.errors:
            writer.writerow([problem.line, problem.reason, *(exporter.csv_cell(c) for c in problem.cells)])


@app.command("export")
@friendly
def export_command(
    kind: Annotated[ExportKind, typer.Argument(help="What to export.", show_default=False)],
    tenant: TenantOption,
    format: Annotated[ExportFormat, typer.Option("--format", help="csv, or jsonl (one JSON object a line).")] = (
        ExportFormat.csv
    ),
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
) -> None:
    """Export a tenant's customers, interactions or cases, streamed in batches."""
    with _container() as container:
        tenant_id = _tenant_id(container, tenant)
        if out is None:
            try:
                count = _export(container, tenant_id, kind, format, sys.stdout)
                sys.stdout.flush()
            except BrokenPipeError:
                # The reader went away (`| head`): stop quietly; point stdout at nothing so the
                # interpreter's final flush does not complain either.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise typer.Exit(1) from None
        else:
            with out.open("w", newline="", encoding="utf-8") as stream:
                count = _export(container, tenant_id, kind, format, stream)
    console.print(f"Exported {count:,} {kind.value}" + (f" to {out}." if out else "."), markup=False)


def _export(container: Container, tenant_id: int, kind: ExportKind, fmt: ExportFormat, stream: TextIO) -> int:
    return exporter.export(container.deps, CLI_PRINCIPAL, tenant_id, kind.value, fmt.value, stream)


@app.command("forecast")
@friendly
def forecast_command(
    file: Annotated[Path, typer.Argument(help="CSV with columns date, start (HH:MM) and calls, one row an interval.")],
    interval: Annotated[int, typer.Option("--interval", help="Minutes per forecast interval (15, 30, 60...).")] = 30,
    backtest_weeks: Annotated[
        int, typer.Option("--backtest-weeks", help="Weeks at the end scored against seasonal naive (0: none).")
    ] = 8,
    days: Annotated[int, typer.Option("--days", help="Days to forecast after the data.")] = 7,
    special_days: Annotated[
        str, typer.Option("--special-days", help="Holidays and peaks, as YYYY-MM-DD separated by commas.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Forecast call volume per interval from a counts file, with a backtest against seasonal naive (WAPE)."""
    try:
        special = [date.fromisoformat(d.strip()) for d in special_days.split(",") if d.strip()]
    except ValueError:
        raise Failure("--special-days takes dates as YYYY-MM-DD separated by commas") from None
    with file.open(newline="", encoding="utf-8") as stream:
        series = forecasting.read_counts(stream)
    result = forecasting.run(series, interval, backtest_weeks, days, special)
    if as_json:
        print(json.dumps(result))
        return
    if "backtest" in result:
        scored = result["backtest"]
        table = Table(title=f"Backtest, last {len(scored['weeks'])} weeks, {interval}-minute intervals (WAPE)")
        for column in ("week from", "calls", "our forecast", "seasonal naive"):
            table.add_column(column, justify="right")
        for week in scored["weeks"]:
            table.add_row(
                week["from"], f"{week['calls']:,.0f}", f"{week['wape']:.3f}", f"{week['wape_seasonal_naive']:.3f}"
            )
        table.add_row("all", "", f"[bold]{scored['wape']:.3f}[/]", f"{scored['wape_seasonal_naive']:.3f}")
        console.print(table)
    ahead = result["forecast"]
    per_day: dict[str, float] = {}
    for point in ahead:
        per_day[point["start"][:10]] = per_day.get(point["start"][:10], 0.0) + point["calls"]
    table = Table(title=f"Forecast, calls a day ({interval}-minute detail: --json)")
    table.add_column("day")
    table.add_column("calls", justify="right")
    for day, calls in per_day.items():
        table.add_row(day, f"{calls:,.0f}")
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
