"""Shared benchmark helper: start `consigndesk serve` on a throwaway database, stop it, clean up.

Generic on purpose, so every benchmark in bench/ can reuse it::

    from _server import start_server

    with start_server("postgresql", workers=None) as server:
        ...  # server.base_url, server.api_key, server.database_url, server.pid

What it does: makes a fresh database (a SQLite file in a temporary folder, or a PostgreSQL
database named ``consigndesk_bench_<random>`` that is dropped afterwards), runs
``consigndesk migrate`` and ``consigndesk api-key create --scope integration``, starts
``consigndesk serve`` on a free loopback port, waits for ``GET /healthz``, and on exit stops the
server (SIGTERM, then SIGKILL) and drops the database. It also reads process CPU times from /proc
so a benchmark can say whether the server, the database or the load generator was busy.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def consigndesk_command() -> list[str]:
    """The `consigndesk` program of the interpreter running us (the project's venv)."""
    beside = Path(sys.executable).parent / "consigndesk"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("consigndesk")
    if found:
        return [found]
    return [sys.executable, "-m", "consigndesk.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_options() -> str:
    """The text of `consigndesk serve --help` (to see which options this version has)."""
    done = subprocess.run(
        [*consigndesk_command(), "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    return done.stdout + done.stderr


def serve_supports(option: str) -> bool:
    return option in serve_options()


# -- PostgreSQL throwaway databases ----------------------------------------------------------
def _libpq_url(url: str) -> str:
    """`postgresql+psycopg://...` → `postgresql://...` (what psycopg.connect understands)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def _with_database(url: str, name: str, driver: str = "postgresql+psycopg") -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=driver, path=f"/{name}"))


def postgres_unreachable(admin_url: str = DEFAULT_PG_ADMIN_URL) -> str | None:
    """None when PostgreSQL answers at `admin_url`, else the reason it does not."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a project dependency
        return f"psycopg is not installed: {exc}"
    try:
        with psycopg.connect(_libpq_url(admin_url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0]}"
    return None


@contextlib.contextmanager
def postgres_database(admin_url: str = DEFAULT_PG_ADMIN_URL) -> Iterator[str]:
    """A fresh, empty PostgreSQL database; yields its SQLAlchemy URL and drops it afterwards."""
    import psycopg

    name = f"consigndesk_bench_{secrets.token_hex(4)}"
    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin_url, name)
    finally:
        with psycopg.connect(_libpq_url(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_backend_pids(database_url: str, admin_url: str = DEFAULT_PG_ADMIN_URL) -> list[int]:
    """Server processes serving connections to the database of `database_url`."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return [int(r[0]) for r in rows]


# -- /proc accounting --------------------------------------------------------------------------
def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0.0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (uvicorn workers, multiprocessing children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


@dataclass
class CpuMeter:
    """CPU seconds used by a set of processes between `start()` and `stop()`."""

    _before: dict[int, float] = field(default_factory=dict)

    def snapshot(self, pids: list[int]) -> dict[int, float]:
        return {pid: process_cpu_seconds(pid) for pid in pids}

    def start(self, pids: list[int]) -> None:
        self._before = self.snapshot(pids)

    def stop(self, pids: list[int]) -> float:
        after = self.snapshot(sorted(set(pids) | set(self._before)))
        return sum(max(0.0, after.get(p, 0.0) - self._before.get(p, 0.0)) for p in after)


# -- the server ---------------------------------------------------------------------------------
@dataclass
class RunningServer:
    base_url: str
    api_key: str
    database: str  # "sqlite" | "postgresql" | "external"
    database_url: str | None  # None when the server was not started by us
    pid: int | None
    log_path: Path | None
    workers: int | None
    pg_admin_url: str = DEFAULT_PG_ADMIN_URL

    def server_pids(self) -> list[int]:
        return process_tree(self.pid) if self.pid is not None else []

    def db_pids(self) -> list[int]:
        if self.database_url is None or not self.database_url.startswith("postgresql"):
            return []  # SQLite runs inside the server process
        try:
            return postgres_backend_pids(self.database_url, self.pg_admin_url)
        except Exception:
            return []

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_counts(self, needles: tuple[str, ...]) -> dict[str, int]:
        """How often each needle occurs in the server's output so far."""
        if self.log_path is None or not self.log_path.exists():
            return {}
        text = self.log_path.read_text(errors="replace")
        return {needle: text.count(needle) for needle in needles}


def _run(cmd: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def wait_healthy(
    base_url: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None
) -> object:
    """Poll GET /healthz until it answers 200 (raises if the process dies or time runs out)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            answer = httpx.get(f"{base_url}/healthz", timeout=2.0)
            if answer.status_code == 200:
                return answer.json()
            last = f"{answer.status_code} {answer.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{exc.__class__.__name__}: {exc}"
        time.sleep(0.2)
    raise RuntimeError(f"{base_url}/healthz did not answer 200 within {timeout:.0f}s ({last})")


def stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group of `proc`, SIGKILL it after `grace` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)


@contextlib.contextmanager
def start_server(
    database: str,
    *,
    workers: int | None = None,
    pg_admin_url: str = DEFAULT_PG_ADMIN_URL,
    extra_env: dict[str, str] | None = None,
    keep_log: Path | None = None,
    src: Path | None = None,
) -> Iterator[RunningServer]:
    """`consigndesk serve` on a fresh `database` ("sqlite" or "postgresql").

    `src`: a folder holding a `consigndesk` package (e.g. from `code_snapshot`) that is put first
    on PYTHONPATH, so the server runs that code instead of the installed package.
    """
    if database not in {"sqlite", "postgresql"}:
        raise ValueError(f"unknown database kind {database!r}")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cdbench-")))
        if database == "sqlite":
            url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            url = stack.enter_context(postgres_database(pg_admin_url))
        env = {
            **os.environ,
            "CONSIGNDESK_DATABASE_URL": url,
            "CONSIGNDESK_SECRET_KEY": secrets.token_urlsafe(32),
            "CONSIGNDESK_PLATFORM_SECRET": secrets.token_urlsafe(32),
            **(extra_env or {}),
        }
        if src is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                [str(src), *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        command = consigndesk_command()
        _run([*command, "migrate"], env, "consigndesk migrate")
        key = (
            _run(
                [*command, "api-key", "create", "--name", "bench", "--scope", "integration"],
                env,
                "consigndesk api-key create",
            )
            .strip()
            .splitlines()[-1]
        )
        port = free_port()
        serve = [*command, "serve", "--host", "127.0.0.1", "--port", str(port)]
        if workers is not None:
            serve += ["--workers", str(workers)]
        log_path = keep_log or workdir / "server.log"
        log = stack.enter_context(log_path.open("wb"))
        proc = subprocess.Popen(
            serve, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        stack.callback(stop_process, proc)
        base_url = f"http://127.0.0.1:{port}"
        server = RunningServer(
            base_url=base_url,
            api_key=key,
            database=database,
            database_url=url,
            pid=proc.pid,
            log_path=log_path,
            workers=workers,
            pg_admin_url=pg_admin_url,
        )
        try:
            wait_healthy(base_url, proc=proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- server output ---\n{server.log_tail()}") from None
        yield server


@contextlib.contextmanager
def code_snapshot(repo: Path, rev: str = "HEAD") -> Iterator[Path]:
    """`src/` of commit `rev` extracted with `git archive` into a temporary folder (read-only use
    of the repository: no checkout, the working tree is left alone); yields that `src` folder."""
    with tempfile.TemporaryDirectory(prefix="cdbench-src-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", rev, "src"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp) / "src"


@contextlib.contextmanager
def tree_snapshot(src: Path) -> Iterator[Path]:
    """A copy of the folder `src` (the working tree's, uncommitted edits included) taken now, so
    a long run serves one consistent version while others keep editing; yields the copy."""
    with tempfile.TemporaryDirectory(prefix="cdbench-src-") as tmp:
        copy = Path(tmp) / "src"
        shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        yield copy


def external_server(base_url: str, api_key: str) -> RunningServer:
    """A server somebody else runs (`--url`): nothing to start, stop or measure locally."""
    wait_healthy(base_url.rstrip("/"), timeout=10)
    return RunningServer(
        base_url=base_url.rstrip("/"),
        api_key=api_key,
        database="external",
        database_url=None,
        pid=None,
        log_path=None,
        workers=None,
    )
