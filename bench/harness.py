"""Shared bench plumbing: fresh databases, a real server in a subprocess, percentiles, reporting."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from helpline.storage import migrate

PG_SERVER = os.environ.get("HELPLINE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
console = Console(stderr=True, width=150)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def fresh_sqlite(tmp: Path, name: str) -> str:
    path = tmp / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


def fresh_postgres(name: str) -> str | None:
    """A new, migrated database on the local PostgreSQL server, or None if none answers."""
    try:
        admin = create_engine(
            PG_SERVER.replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 3},
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # no server: the PostgreSQL rows are reported as skipped
        console.print(f"[yellow]PostgreSQL not reachable ({exc.__class__.__name__}); skipping its rows")
        return None
    url = f"{PG_SERVER.rpartition('/')[0]}/{name}"
    migrate.upgrade(url)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(database_url: str, command: Sequence[str] | None = None) -> Iterator[str]:
    """Run `helpline serve` (one uvicorn process; or `command`, given `--port N` after it) on a
    loopback port; yield its base URL. Its stderr goes to a temporary file, read if it fails to start."""
    port = free_port()
    env = {**os.environ, "HELPLINE_DATABASE_URL": database_url, "HELPLINE_PORT": str(port)}
    argv = [*(command or (sys.executable, "-m", "helpline", "serve")), "--port", str(port)]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            _wait_until_up(port, proc, errors)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], errors: IO[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            errors.seek(0)
            raise RuntimeError(f"server exited: {errors.read().decode()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("server did not start in time")


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def report(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], figures: dict[str, Any]) -> None:
    """A human table on stderr, then the figures as one JSON object on the last line of stdout."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    print(json.dumps({"bench": title, "machine": machine(), **figures}))
