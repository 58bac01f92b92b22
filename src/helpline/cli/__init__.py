"""The `helpline` command: serve, demo, database migrations, tenants, users, customer import and export, forecast."""

from __future__ import annotations

import csv
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.markup import escape
from rich.table import Table

from helpline.bootstrap import Container
from helpline.cli.common import (
    CLI_PRINCIPAL,
    Failure,
    HostOption,
    PortOption,
    TenantOption,
    app,
    byte_progress,
    console,
    db_app,
    friendly,
    import_app,
    open_container,
    read_settings,
    resolve_tenant,
    tenant_app,
    user_app,
)
from helpline.services import demo, exporter, importer, tenants, users
from helpline.storage import migrate


class ExportKind(StrEnum):
    customers = "customers"
    interactions = "interactions"
    cases = "cases"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _serve(host: str, port: int) -> None:
    import uvicorn

    # By name, as uvicorn's factory: the web layer builds its own container from the same settings
    # (and the command line, a sibling shell, does not import it).
    uvicorn.run("helpline.web.app:create_app", factory=True, host=host, port=port)


# --- serve and demo -------------------------------------------------------------------------------


@app.command()
@friendly
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Migrate the database, then run the web application."""
    settings = read_settings()
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
    settings = read_settings()
    address, port_number = host or settings.host, port or settings.port
    if reset:
        reset_database(settings.database_url)
    migrate.upgrade(settings.database_url)
    with open_container(settings) as container:
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
    url = read_settings().database_url
    migrate.upgrade(url)
    console.print(f"Database at revision {migrate.current_revision(url)}.")


@db_app.command("current")
@friendly
def db_current() -> None:
    """Print the database's current revision."""
    revision = migrate.current_revision(read_settings().database_url)
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
    with open_container() as container:
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
    with open_container() as container:
        tenant_ids = [resolve_tenant(container, slug) for slug in tenant or []]
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
    with open_container() as container:
        tid = resolve_tenant(container, tenant)
        size = file.stat().st_size
        started = time.perf_counter()
        with file.open("rb") as stream, byte_progress() as progress:
            task = progress.add_task(f"Importing {file.name}", total=size)
            report = importer.import_customers(
                container.deps,
                CLI_PRINCIPAL,
                tid,
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
    with open_container() as container:
        tid = resolve_tenant(container, tenant)
        if out is None:
            try:
                count = _export(container, tid, kind, format, sys.stdout)
                sys.stdout.flush()
            except BrokenPipeError:
                # The reader went away (`| head`): stop quietly; point stdout at nothing so the
                # interpreter's final flush does not complain either.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise typer.Exit(1) from None
        else:
            with out.open("w", newline="", encoding="utf-8") as stream:
                count = _export(container, tid, kind, format, stream)
    console.print(f"Exported {count:,} {kind.value}" + (f" to {out}." if out else "."), markup=False)


def _export(container: Container, tenant_id: int, kind: ExportKind, fmt: ExportFormat, stream: TextIO) -> int:
    return exporter.export(container.deps, CLI_PRINCIPAL, tenant_id, kind.value, fmt.value, stream)


# Command modules register themselves on `app` when imported.
from helpline.cli import forecast as _forecast  # noqa: E402, F401
from helpline.cli import schedule as _schedule  # noqa: E402, F401
from helpline.cli import simulate as _simulate  # noqa: E402, F401
from helpline.cli import staffing as _staffing  # noqa: E402, F401


def main() -> None:
    app()


if __name__ == "__main__":
    main()
