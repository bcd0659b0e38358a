"""Baseline: django-helpdesk 2.6 on this machine, driven by the same load generator as ConsignDesk.

The issue states its speed target relative to django-helpdesk ("ten times that"). The machine we
measure on changes between sessions, so instead of quoting old numbers this script measures
django-helpdesk here and now, the way `bench/api_tickets.py` measures ConsignDesk:

1. a virtualenv outside the repository (default `~/.cache/consigndesk-bench/helpdesk-2.6`,
   `--venv DIR`) with `django-helpdesk==2.6.*`, gunicorn and psycopg, built once and reused
   (rebuilt when its marker file is missing; `--rebuild-venv` forces it). Nothing of
   django-helpdesk lands in this repository;
2. a throwaway Django project written to a temporary folder: DEBUG off, the apps django-helpdesk
   needs (teams mode off, so no pinax apps), its URLs at the site root, its REST API on
   (`HELPDESK_API_ENABLED`, which 2.6 reads and defaults to on; older docs call it
   `HELPDESK_ACTIVATE_API_ENDPOINT`, a name 2.6 no longer reads), DRF token authentication,
   mail kept in memory (rendered and built, not sent), persistent database connections
   (`--conn-max-age`), and a fresh database: a SQLite file (WAL, `synchronous=NORMAL`, 30 s busy
   timeout, like ConsignDesk's) or a PostgreSQL database `helpdesk_bench_<random>` on
   127.0.0.1:5432 that is dropped at the end;
3. `migrate`, a staff superuser, a queue and an API token, then gunicorn on a free loopback port
   (`--server-workers`, default 2 × cores + 1 sync workers);
4. `POST /api/tickets/` (queue, title, description, submitter_email, priority) at each
   concurrency of `--concurrency 1,8,32`, `-n` tickets per level, at most `--max-seconds` per
   level. The tickets are `api_tickets.make_tickets`'s bilingual ones (subject → title, body →
   description, the customer's email or `<external_id>@example.com` → submitter_email), sent
   by `api_tickets.post_tickets` (asyncio + aiohttp with a pool the size of the concurrency),
   the load generator of the ConsignDesk bench. One client process (django-helpdesk's rates
   are far below what one aiohttp loop sends; the `cliCPU` column shows it);
5. fills the database to `--list-size` tickets with the Django ORM (`bulk_create` of tickets and
   their "Ticket Opened" follow-up, as the API makes them) in a script run by the helpdesk
   virtualenv, not over HTTP, then times `--list-requests` sequential `GET /api/tickets/` calls
   (first page, and the second page through DRF's page-number pagination).

It prints the table of `api_tickets.py` (same columns, rows from `api_tickets.Row`), the load
average, and the command to rerun; `--json FILE` writes the rows. `--quick` is a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import (
    DEFAULT_PG_ADMIN_URL,
    CpuMeter,
    free_port,
    postgres_backend_pids,
    process_tree,
    stop_process,
)
from api_tickets import (
    ClientResult,
    Row,
    create_row,
    each_database,
    make_tickets,
    post_tickets,
    print_notes_and_rerun,
    print_rows,
    stalls,
    time_gets,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = Path.home() / ".cache" / "consigndesk-bench" / "helpdesk-2.6"
REQUIREMENTS = ["django-helpdesk==2.6.*", "gunicorn", "psycopg[binary]"]
MARKER = ".consigndesk-bench.json"
DISTRIBUTIONS = ["django-helpdesk", "Django", "djangorestframework", "gunicorn", "psycopg"]
TICKETS_PATH = "/api/tickets/"
LOG_NEEDLES = ("Traceback", "database is locked", "WORKER TIMEOUT", "OperationalError")
BENCH_USER = "bench"


# -- the django-helpdesk virtualenv -------------------------------------------------------------
def _run(cmd: list[str], what: str, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-3000:]
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{output}")
    return done.stdout


def ensure_venv(venv: Path, rebuild: bool) -> dict[str, str]:
    """The helpdesk virtualenv at `venv`, built if needed; returns the installed versions."""
    marker = venv / MARKER
    python = venv / "bin" / "python"
    if not rebuild and marker.exists() and python.exists():
        with contextlib.suppress(ValueError, OSError):
            info = json.loads(marker.read_text())
            if info.get("requirements") == REQUIREMENTS:
                return dict(info["versions"])
    if venv.exists() and any(venv.iterdir()) and not (venv / "pyvenv.cfg").exists():
        raise RuntimeError(f"{venv} exists and is not a virtualenv: pass another --venv")
    print(f"building the django-helpdesk virtualenv in {venv} ...", flush=True)
    t0 = time.perf_counter()
    venv.parent.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    # the interpreter running us is the project's venv; `-m venv` bases the new one on the
    # interpreter it was made from, so the helpdesk venv shares nothing with ours
    _run([sys.executable, "-m", "venv", "--clear", str(venv)], "python -m venv")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run([*pip, *REQUIREMENTS], f"pip install {' '.join(REQUIREMENTS)}")
    versions = installed_versions(python)
    marker.write_text(
        json.dumps({"requirements": REQUIREMENTS, "versions": versions, "built": time.time()})
    )
    print(f"  built in {time.perf_counter() - t0:.0f}s: {versions}", flush=True)
    return versions


def installed_versions(python: Path) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        f"print(json.dumps({{d: m.version(d) for d in {DISTRIBUTIONS!r}}}))"
    )
    return dict(json.loads(_run([str(python), "-c", code], "reading installed versions")))


# -- the throwaway Django project ---------------------------------------------------------------
SETTINGS = '''\
"""Settings of a throwaway project written by ConsignDesk's bench/baseline_helpdesk.py."""

SECRET_KEY = {secret_key!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
WSGI_APPLICATION = "hdbench.wsgi.application"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]

DATABASES = {{"default": {database!r}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
STATIC_ROOT = {static_root!r}
MEDIA_ROOT = {media_root!r}
LOGIN_URL = "/login/"

# mail is rendered and built as in production, then kept in memory instead of going to SMTP
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"

HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_API_ENABLED = True

REST_FRAMEWORK = {{"DEFAULT_AUTHENTICATION_CLASSES": {auth_classes!r}}}

LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"stderr": {{"class": "logging.StreamHandler"}}}},
    "loggers": {{"django.request": {{"handlers": ["stderr"], "level": "ERROR"}}}},
}}
'''

URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
application = get_wsgi_application()
"""

# run by the helpdesk venv: a superuser, a queue and an API token; prints them as JSON
SETUP_SCRIPT = """\
import json
import os

import django

django.setup()

from django.contrib.auth import get_user_model
from helpdesk.models import Queue
from rest_framework.authtoken.models import Token

user = get_user_model().objects.create_superuser(
    os.environ["BENCH_USER"], "bench@example.com", os.environ["BENCH_PASSWORD"]
)
queue = Queue.objects.create(
    title="Bench", slug="bench", email_address="support@example.com"
)
token = Token.objects.create(user=user)
print(json.dumps({"queue": queue.id, "token": token.key, "user": user.id}))
"""

# run by the helpdesk venv: bulk-insert the tickets of a JSON file, each with the public
# "Ticket Opened" follow-up the API's create path writes; prints counts as JSON
FILL_SCRIPT = """\
import json
import os
import sys

import django

django.setup()

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from helpdesk.models import FollowUp, Queue, Ticket

rows = json.loads(open(sys.argv[1], encoding="utf-8").read())
queue = Queue.objects.get(slug="bench")
user = get_user_model().objects.get(username=os.environ["BENCH_USER"])
before = Ticket.objects.count()
for start in range(0, len(rows), 500):
    chunk = rows[start : start + 500]
    now = timezone.now()
    with transaction.atomic():
        tickets = Ticket.objects.bulk_create(
            [
                Ticket(
                    queue=queue,
                    title=r["title"],
                    description=r["description"],
                    submitter_email=r["submitter_email"],
                    priority=r["priority"],
                    status=Ticket.OPEN_STATUS,
                    created=now,
                )
                for r in chunk
            ]
        )
        FollowUp.objects.bulk_create(
            [
                FollowUp(
                    ticket=t,
                    title="Ticket Opened",
                    date=now,
                    public=True,
                    comment=t.description,
                    user=user,
                    email_recipients=[t.submitter_email],
                )
                for t in tickets
            ]
        )
print(json.dumps({"before": before, "after": Ticket.objects.count()}))
"""


def write_project(
    folder: Path, database: dict[str, Any], auth: str
) -> tuple[dict[str, str], list[str]]:
    """The Django project in `folder`; returns its environment additions and the settings
    worth printing."""
    package = folder / "hdbench"
    package.mkdir()
    auth_classes = ["rest_framework.authentication.TokenAuthentication"]
    if auth == "basic":
        auth_classes = ["rest_framework.authentication.BasicAuthentication"]
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        SETTINGS.format(
            secret_key=secrets.token_urlsafe(40),
            database=database,
            static_root=str(folder / "static"),
            media_root=str(folder / "media"),
            auth_classes=auth_classes,
        )
    )
    (package / "urls.py").write_text(URLS)
    (package / "wsgi.py").write_text(WSGI)
    (folder / "bench_setup.py").write_text(SETUP_SCRIPT)
    (folder / "bench_fill.py").write_text(FILL_SCRIPT)
    env = {"DJANGO_SETTINGS_MODULE": "hdbench.settings", "PYTHONPATH": str(folder)}
    shown = {k: v for k, v in database.items() if k != "PASSWORD"}
    described = [
        f"DATABASES.default = {shown}",
        f"REST_FRAMEWORK.DEFAULT_AUTHENTICATION_CLASSES = {auth_classes}",
        "HELPDESK_API_ENABLED = True, HELPDESK_TEAMS_MODE_ENABLED = False, DEBUG = False",
        "EMAIL_BACKEND = locmem (mail rendered and built, not sent)",
    ]
    return env, described


def server_environment(extra: dict[str, str]) -> dict[str, str]:
    """Our environment without what would change django-helpdesk's behaviour or imports."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HELPDESK_", "DJANGO_", "VIRTUAL_ENV", "PYTHON"))
    }
    return {**env, **extra}


@contextlib.contextmanager
def helpdesk_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database `helpdesk_bench_<random>`; yields its libpq URL, drops it."""
    import psycopg

    name = f"helpdesk_bench_{secrets.token_hex(4)}"
    admin = urlunsplit(urlsplit(admin_url)._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_database(kind: str, url: str | None, folder: Path, conn_max_age: int) -> dict[str, Any]:
    if kind == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(folder / "helpdesk.sqlite3"),
            "CONN_MAX_AGE": conn_max_age,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    assert url is not None
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        "CONN_MAX_AGE": conn_max_age,
    }


# -- the server ---------------------------------------------------------------------------------
@dataclass
class HelpdeskServer:
    base_url: str
    headers: dict[str, str]
    queue_id: int
    pid: int
    database_url: str | None  # PostgreSQL only
    pg_admin_url: str
    log_path: Path
    python: Path
    env: dict[str, str]
    folder: Path

    def server_pids(self) -> list[int]:
        return process_tree(self.pid)

    def db_pids(self) -> list[int]:
        if self.database_url is None:
            return []  # SQLite runs inside the gunicorn workers
        try:
            return postgres_backend_pids(self.database_url, self.pg_admin_url)
        except Exception:
            return []

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_counts(self) -> dict[str, int]:
        if not self.log_path.exists():
            return {}
        text = self.log_path.read_text(errors="replace")
        return {needle: text.count(needle) for needle in LOG_NEEDLES if needle in text}


def wait_ready(
    base_url: str, headers: dict[str, str], proc: subprocess.Popen[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            answer = httpx.get(f"{base_url}{TICKETS_PATH}", headers=headers, timeout=5.0)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{exc.__class__.__name__}: {exc}"
        time.sleep(0.3)
    raise RuntimeError(f"{base_url}{TICKETS_PATH} did not answer 200 in {timeout:.0f}s ({last})")


@contextlib.contextmanager
def start_helpdesk(opts: Options, kind: str) -> Iterator[HelpdeskServer]:
    """django-helpdesk under gunicorn on a fresh `kind` database; stops and cleans up after."""
    python = opts.venv / "bin" / "python"
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hdbench-")))
        url = (
            stack.enter_context(helpdesk_database(opts.pg_admin_url)) if kind != "sqlite" else None
        )
        database = django_database(kind, url, folder, opts.conn_max_age)
        extra, described = write_project(folder, database, opts.auth)
        password = secrets.token_urlsafe(16)
        env = server_environment({**extra, "BENCH_USER": BENCH_USER, "BENCH_PASSWORD": password})
        t0 = time.perf_counter()
        _run([str(python), "-m", "django", "migrate", "--noinput"], "migrate", env)
        made = json.loads(
            _run([str(python), str(folder / "bench_setup.py")], "bench_setup.py", env)
            .strip()
            .splitlines()[-1]
        )
        print(
            f"[{kind}] migrated and set up in {time.perf_counter() - t0:.1f}s "
            f"(superuser {BENCH_USER!r}, queue {made['queue']}, API token)",
            flush=True,
        )
        for line in described:
            print(f"[{kind}]   {line}")
        if opts.auth == "basic":
            pair = base64.b64encode(f"{BENCH_USER}:{password}".encode()).decode()
            headers = {"Authorization": f"Basic {pair}"}
        else:
            headers = {"Authorization": f"Token {made['token']}"}
        port = free_port()
        command = [
            str(opts.venv / "bin" / "gunicorn"),
            "hdbench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(opts.server_workers),
            "--worker-class",
            opts.worker_class,
            "--chdir",
            str(folder),
            "--log-level",
            "warning",
        ]
        if opts.worker_class == "gthread":
            command += ["--threads", str(opts.threads)]
        print(f"[{kind}] serving: {shlex.join(command)}", flush=True)
        log_path = folder / "gunicorn.log"
        log = stack.enter_context(log_path.open("wb"))
        proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        stack.callback(stop_process, proc, 15.0)
        server = HelpdeskServer(
            base_url=f"http://127.0.0.1:{port}",
            headers=headers,
            queue_id=int(made["queue"]),
            pid=proc.pid,
            database_url=url,
            pg_admin_url=opts.pg_admin_url,
            log_path=log_path,
            python=python,
            env=env,
            folder=folder,
        )
        try:
            wait_ready(server.base_url, headers, proc, 90.0)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- gunicorn output ---\n{server.log_tail()}") from None
        yield server


# -- creating tickets ---------------------------------------------------------------------------
def as_helpdesk_ticket(ticket: dict[str, Any], queue_id: int) -> dict[str, Any]:
    """One of `api_tickets.make_tickets`'s tickets as a django-helpdesk API payload."""
    customer = ticket["customer"]
    return {
        "queue": queue_id,
        "title": ticket.get("subject") or ticket["body"][:80],
        "description": ticket["body"],
        "submitter_email": customer.get("email") or f"{customer['external_id']}@example.com",
        "priority": 3,
    }


def create_level(
    server: HelpdeskServer, payloads: list[dict[str, Any]], concurrency: int, max_seconds: float
) -> tuple[ClientResult, float, float]:
    """POST `payloads` at `concurrency`; returns the client result, server and db CPU seconds."""
    server_meter, db_meter = CpuMeter(), CpuMeter()
    start_at = time.time() + 0.2
    server_meter.start(server.server_pids())
    db_meter.start(server.db_pids())
    result = asyncio.run(
        post_tickets(
            server.base_url,
            server.headers,
            payloads,
            concurrency,
            start_at,
            start_at + max_seconds,
            path=TICKETS_PATH,
            timeout_seconds=120.0,
        )
    )
    return result, server_meter.stop(server.server_pids()), db_meter.stop(server.db_pids())


# -- filling and listing ------------------------------------------------------------------------
def fill(server: HelpdeskServer, payloads: list[dict[str, Any]]) -> dict[str, int]:
    """Bulk-insert `payloads` with the ORM in the helpdesk venv; returns ticket counts."""
    data = server.folder / "fill.json"
    data.write_text(json.dumps(payloads, ensure_ascii=False), encoding="utf-8")
    out = _run(
        [str(server.python), str(server.folder / "bench_fill.py"), str(data)],
        "bench_fill.py",
        server.env,
    )
    return dict(json.loads(out.strip().splitlines()[-1]))


def mail_check(server: HelpdeskServer) -> str:
    """Whether the first API-created ticket's follow-up recorded a notified submitter (the
    mail was rendered and handed to the backend, as in production)."""
    try:
        answer = httpx.get(
            f"{server.base_url}{TICKETS_PATH}?page_size=1", headers=server.headers, timeout=60
        )
        first = answer.json()["results"][0]
        recipients = first["followup_set"][0].get("email_recipients")
    except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
        return f"mail check failed: {exc.__class__.__name__}: {exc}"
    return f"ticket {first['id']}'s opening follow-up notified {recipients}"


def list_paths(server: HelpdeskServer) -> tuple[list[tuple[str, str]], int | None]:
    """First page and, when there is one, the second page (DRF page-number pagination)."""
    first = httpx.get(f"{server.base_url}{TICKETS_PATH}", headers=server.headers, timeout=120.0)
    first.raise_for_status()
    body = first.json()
    paths = [("list page 1", TICKETS_PATH)]
    if body.get("next"):
        parts = urlsplit(body["next"])
        paths.append(("list page 2", f"{parts.path}?{parts.query}"))
    return paths, body.get("count")


# -- the run -------------------------------------------------------------------------------------
@dataclass
class Options:
    db: str
    tickets: int
    concurrency: list[int]
    max_seconds: float
    list_size: int
    list_requests: int
    list_max_seconds: float
    server_workers: int
    worker_class: str
    threads: int
    conn_max_age: int
    auth: str
    venv: Path
    rebuild_venv: bool
    pg_admin_url: str
    seed: int
    json_out: Path | None
    quick: bool


def run_database(opts: Options, db: str, notes: list[str]) -> list[Row]:
    rows: list[Row] = []
    with start_helpdesk(opts, db) as server:
        print(f"[{db}] gunicorn pid {server.pid} at {server.base_url}", flush=True)
        tag = f"hd{db[:2]}{opts.seed}"
        created = 0
        for level in opts.concurrency:
            batch = [
                as_helpdesk_ticket(t, server.queue_id)
                for t in make_tickets(f"{tag}c{level}", opts.tickets, opts.seed)
            ]
            load = os.getloadavg()[0]
            result, server_cpu, db_cpu = create_level(server, batch, level, opts.max_seconds)
            row = create_row(db, "create", level, [result], server_cpu, db_cpu)
            row.load = load
            if row.requests < len(batch):
                row.note = "; ".join(
                    filter(None, [f"--max-seconds cut at {row.requests}/{len(batch)}", row.note])
                )
            created += row.ok
            rows.append(row)
            print_rows([row], header=False)
            if level > 1:
                print(f"  {stalls(row)}")

        notes.append(f"{db}: {mail_check(server)}")
        print(f"[{db}] {notes[-1].split(': ', 1)[1]}")
        missing = max(0, opts.list_size - created)
        print(f"[{db}] {created} tickets via the API; filling {missing} more with bulk_create ...")
        t0 = time.perf_counter()
        payloads = [
            as_helpdesk_ticket(t, server.queue_id)
            for t in make_tickets(f"{tag}f", missing, opts.seed)
        ]
        counts = fill(server, payloads) if missing else {}
        took = time.perf_counter() - t0
        paths, count = list_paths(server)
        notes.append(
            f"{db}: filled {missing} tickets (+ their follow-up) with bulk_create in {took:.1f}s; "
            f"{count} tickets in the API's list"
            + (f" (ORM count {counts['after']})" if counts else "")
        )
        print(f"[{db}] {notes[-1].split(': ', 1)[1]}", flush=True)
        for label, path in paths:
            load = os.getloadavg()[0]
            row = time_gets(
                server,
                server.headers,
                (db, label, path),
                opts.list_requests,
                opts.list_max_seconds,
                lambda body: f"{len(body.get('results', []))} items of {body.get('count')}",
            )
            row.load = load
            rows.append(row)
            print_rows([row], header=False)

        found = server.log_counts()
        if found:
            notes.append(f"{db}: gunicorn log mentions {found} (tail printed above)")
            print(f"[{db}] gunicorn log tail:\n{server.log_tail(30)}")
    return rows


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def parse_args(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("-n", "--tickets", type=int, help="tickets per concurrency level")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated levels")
    parser.add_argument(
        "--max-seconds", type=float, default=30.0, help="cap on one concurrency level"
    )
    parser.add_argument("--list-size", type=int, help="tickets in the database for list calls")
    parser.add_argument("--list-requests", type=int, help="sequential requests per list call")
    parser.add_argument(
        "--list-max-seconds",
        type=float,
        default=300.0,
        help="cap on one list call's requests (at least 5 are sent; at 10,000 tickets one "
        "call took 7.5 s here)",
    )
    parser.add_argument(
        "--server-workers",
        type=int,
        default=default_workers(),
        help="gunicorn workers (2 x cores + 1)",
    )
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="Django CONN_MAX_AGE: seconds a worker keeps its database connection (0: one per "
        "request, Django's default)",
    )
    parser.add_argument(
        "--auth",
        choices=["token", "basic"],
        default="token",
        help="DRF TokenAuthentication, or HTTP Basic (Django's password hasher runs on every "
        "request: PBKDF2 with 1,000,000 iterations, about 0.7 s of CPU each here)",
    )
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the helpdesk venv")
    parser.add_argument("--rebuild-venv", action="store_true", help="rebuild it even if ready")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--json", dest="json_out", type=Path, help="also write results as JSON")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: n=100, list size 500, 5 list requests"
    )
    a = parser.parse_args(argv)
    venv = a.venv.expanduser().resolve()
    if venv == ROOT or ROOT in venv.parents:
        parser.error("--venv must be outside the repository")
    return Options(
        db=a.db,
        tickets=a.tickets or (100 if a.quick else 1000),
        concurrency=[int(c) for c in a.concurrency.split(",") if c.strip()],
        max_seconds=a.max_seconds,
        list_size=a.list_size or (500 if a.quick else 10_000),
        list_requests=a.list_requests or (5 if a.quick else 20),
        list_max_seconds=a.list_max_seconds,
        server_workers=a.server_workers,
        worker_class=a.worker_class,
        threads=a.threads,
        conn_max_age=a.conn_max_age,
        auth=a.auth,
        venv=venv,
        rebuild_venv=a.rebuild_venv,
        pg_admin_url=a.pg_admin_url,
        seed=a.seed,
        json_out=a.json_out,
        quick=a.quick,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    notes: list[str] = []
    versions = ensure_venv(opts.venv, opts.rebuild_venv)
    load = os.getloadavg()
    print(
        f"django-helpdesk baseline — {platform.node()}, {os.cpu_count()} CPUs, "
        f"load avg {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, python {platform.python_version()}"
    )
    print(
        "server: "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
        + f" in {opts.venv}"
    )
    workers = f"{opts.server_workers} {opts.worker_class} workers"
    if opts.worker_class == "gthread":
        workers += f" × {opts.threads} threads"
    print(
        f"gunicorn {workers} (default 2 × {os.cpu_count()} cores + 1 = {default_workers()}), "
        f"CONN_MAX_AGE {opts.conn_max_age}, auth {opts.auth}; client aiohttp "
        f"{aiohttp.__version__}, POST {TICKETS_PATH}"
    )
    print(
        f"N={opts.tickets}/level (cap {opts.max_seconds:.0f}s), levels {opts.concurrency}, "
        f"list at {opts.list_size} tickets × {opts.list_requests} sequential requests, "
        f"seed {opts.seed}"
    )
    if opts.auth == "basic":
        notes.append(
            "auth basic: every request runs Django's PBKDF2 password check, which dominates "
            "the times (use --auth token to measure django-helpdesk itself)"
        )
    if opts.conn_max_age == 0 and opts.db != "sqlite":
        notes.append("CONN_MAX_AGE 0: a connection per request; dbCPU misses short-lived ones")
    print_rows([])
    dbs = ["sqlite", "postgresql"] if opts.db == "both" else [opts.db]
    rows = each_database(dbs, opts.pg_admin_url, notes, lambda db: run_database(opts, db, notes))

    print("\n== Results (django-helpdesk) ==")
    print_rows(rows)
    print(
        "\nsrvCPU/dbCPU/cliCPU: CPU used by gunicorn's process tree / the PostgreSQL backends of\n"
        f"this database / the load generator, in % of one core (the machine has {os.cpu_count()}"
        " cores).\n'srv ms' / 'db ms': CPU milliseconds per successful request. List calls are "
        "sequential\n(c=1) on an otherwise idle server. 'load': 1-minute load average when the "
        "step began."
    )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print_notes_and_rerun(notes, "bench/baseline_helpdesk.py", argv, opts.seed)
    if opts.json_out:
        opts.json_out.write_text(
            json.dumps(
                {
                    "system": "django-helpdesk",
                    "versions": versions,
                    "server": {
                        "workers": opts.server_workers,
                        "worker_class": opts.worker_class,
                        "threads": opts.threads if opts.worker_class == "gthread" else None,
                        "conn_max_age": opts.conn_max_age,
                        "auth": opts.auth,
                    },
                    "rows": [r.summary() for r in rows],
                    "notes": notes,
                    "argv": argv,
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
        )
    failed = any("run failed" in n for n in notes)
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
