"""What every `helpline` command shares: the Typer app, the console, error reporting, the container."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from helpline.bootstrap import Container, build
from helpline.config import Settings
from helpline.domain.errors import DomainError, NotFound
from helpline.domain.permissions import Principal
from helpline.domain.vocabulary import Role
from helpline.services import tenants
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
            fail(str(exc))
        except DomainError as exc:
            fail(exc.detail)
        except OSError as exc:
            where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
            fail(f"{exc.strerror or exc}{where}")
        except Exception as exc:  # the last resort: still one line, with the kind of error
            first_line = (str(exc).strip().splitlines() or [""])[0]
            fail(f"{type(exc).__name__}: {first_line}"[:500])

    return wrapper


def fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(1)


def read_settings() -> Settings:
    # Read afresh on each command (not the cached get_settings) so the environment of this run wins.
    return Settings()


@contextmanager
def open_container(settings: Settings | None = None) -> Iterator[Container]:
    settings = settings or read_settings()
    if migrate.current_revision(settings.database_url) is None:
        raise Failure("the database has no tables yet; run `helpline db upgrade` first")
    built = build(settings)
    try:
        yield built
    finally:
        built.close()


def resolve_tenant(built: Container, slug: str) -> int:
    try:
        tenant = tenants.resolve_slug(built.deps, CLI_PRINCIPAL, slug)
    except NotFound:
        raise Failure(f"no tenant with slug {slug!r} (see `helpline tenant create`)") from None
    return int(tenant.id)


HostOption = Annotated[str | None, typer.Option(help="Address to listen on (default: HELPLINE_HOST, else 127.0.0.1).")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on (default: HELPLINE_PORT, else 8000).")]
TenantOption = Annotated[str, typer.Option("--tenant", help="The tenant's slug.", show_default=False)]


def byte_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
