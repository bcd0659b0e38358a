"""The `consigndesk` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from consigndesk.adapters.channels.email.imap import ImapPoller
from consigndesk.bootstrap import App
from consigndesk.config import Settings
from consigndesk.domain.errors import DomainError
from consigndesk.triage import TriageEngine

app = typer.Typer(
    help="ConsignDesk: customer service for consignment marketplaces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
api_key_app = typer.Typer(
    help="Manage API keys for server-to-server clients.", no_args_is_help=True
)
agent_app = typer.Typer(help="Manage agents.", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")
app.add_typer(agent_app, name="agent")
email_app = typer.Typer(help="The email channel: poll mailboxes, ingest a message.")
app.add_typer(email_app, name="email")


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _core(settings: Settings | None = None) -> App:
    from consigndesk.bootstrap import build

    try:
        return build(settings or Settings())
    except DomainError as exc:
        fail(exc.message)
    except Exception as exc:  # a broken URL, an unreachable database: one readable line
        fail(f"cannot open the database: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    raise AssertionError("unreachable")


def _serve(core: App, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from consigndesk.adapters.channels.chat.protocol import MAX_FRAME_BYTES
    from consigndesk.adapters.http.metrics import shared_between_processes
    from consigndesk.asgi import serving_app
    from consigndesk.logs import configure_logging

    configure_logging(core.settings.log_json)
    # A chat frame over the protocol's limit still gets its error frame; one four times as big
    # is not read into memory at all (the websocket closes with 1009), instead of up to 16 MiB.
    options: dict[str, Any] = {
        "log_level": "warning",
        "proxy_headers": True,
        "ws_max_size": 4 * MAX_FRAME_BYTES,
    }
    if workers > 1:  # each worker process builds its own core: stateless API processes
        core.close()
        with shared_between_processes():
            _serve_workers(host, port, workers, options)
        return
    uvicorn.run(serving_app(core), host=host, port=port, **options)


def _serve_workers(host: str, port: int, workers: int, options: dict[str, Any]) -> None:
    import uvicorn

    from consigndesk.supervisor import reuse_port_supported, run_workers

    factory = "consigndesk.asgi:create"
    if not reuse_port_supported():
        uvicorn.run(factory, factory=True, workers=workers, host=host, port=port, **options)
        return
    try:
        started = run_workers(factory, host, port, workers, **options)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    if not started:
        fail("a server process could not start (its log is above)")


@app.command()
def migrate() -> None:
    """Bring the configured database to the current schema (safe to repeat)."""
    core = _core()
    typer.echo(f"database at head: {core.database.engine.url.render_as_string(hide_password=True)}")
    core.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="server processes")] = 1,
) -> None:
    """Serve the web app and API (the production entry point, no demo data)."""
    core = _core()
    if workers > 1 and core.database.is_sqlite:
        typer.echo(
            f"warning: SQLite has one write lock, so {workers} server processes take turns at it "
            "and the slowest requests wait about ten times as long (ADR 0026); use one worker, "
            "or PostgreSQL for more",
            err=True,
        )
    from consigndesk.services.admin import ensure_default_groups

    ensure_default_groups(core.uow())
    poller = _imap_poller(core)
    try:
        _serve(core, host, port, workers)
    finally:
        if poller is not None:
            poller.stop()


def _imap_poller(core: App) -> ImapPoller | None:
    """The IMAP poller, when mailboxes are configured: one per deployment, in the parent process
    (the SMTP listener runs in every serving process, started with the app)."""
    from consigndesk.adapters.channels.email.wiring import imap_poller
    from consigndesk.services.email import EmailChannel

    channel = core.extras["email"]
    assert isinstance(channel, EmailChannel)
    poller = imap_poller(core.settings, channel)
    if poller is not None:
        poller.start()
    return poller


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="seed only, do not serve")] = False,
) -> None:
    """Create the SQLite demo database, seed bilingual demo data, print logins and serve."""
    from consigndesk.demo.loader import DEMO_PASSWORD, demo_settings, seed

    core = _core(demo_settings())
    summary = seed(core, progress=True)
    typer.echo("")
    typer.echo(f"ConsignDesk demo on http://{host}:{port}")
    typer.echo(f"  database: {core.settings.database_url}")
    typer.echo(f"  {summary}")
    typer.echo(f"  agent logins (password for all: {DEMO_PASSWORD}):")
    width = max(len(email) for email, _, _ in summary.logins)
    for email, role, team in summary.logins:
        typer.echo(f"    {email:<{width}}  {role:<10} {team}")
    typer.echo(f"  customer page (signed link): http://{host}:{port}{summary.customer_link}")
    if not no_serve:
        _serve(core, host, port)


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="who uses the key")],
    scope: Annotated[str, typer.Option(help="platform | integration")],
) -> None:
    """Print a new API key once (only its hash is stored)."""
    from consigndesk.services.auth import create_api_key

    core = _core()
    try:
        key = create_api_key(core.uow(), name, scope)
    except DomainError as exc:
        fail(exc.message)
    typer.echo(key)


@agent_app.command("create")
def agent_create(
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="agent | supervisor | admin")] = "agent",
    team: Annotated[str, typer.Option(help="in_house | outsourced")] = "in_house",
    groups: Annotated[str, typer.Option(help="comma-separated group keys")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an agent (the first admin of a fresh install is made this way)."""
    from consigndesk.services.admin import create_agent, ensure_default_groups

    core = _core()
    ensure_default_groups(core.uow())
    try:
        agent_id = create_agent(
            core.uow(),
            email=email,
            name=name,
            password=password,
            role=role,
            team=team,
            groups=[g for g in groups.split(",") if g],
        )
    except DomainError as exc:
        fail(exc.message)
    typer.echo(f"agent {agent_id} created: {email} ({role}, {team})")


@app.command()
def triage() -> None:
    """Triage JSON lines from stdin to stdout (see CONTRACTS.md)."""
    from consigndesk.triage import run_triage_lines

    run_triage_lines(sys.stdin.buffer, sys.stdout, _standalone_engine())


def _standalone_engine() -> TriageEngine:
    """The shipped model, or the trained one active in an existing database (never created)."""
    from consigndesk.adapters.db.engine import create_database
    from consigndesk.model_registry import EngineRefresher
    from consigndesk.triage import default_engine

    engine = default_engine()
    url = Settings().database_url
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite") and (path == url or not Path(path).exists()):
        return engine
    try:
        database = create_database(url)
        EngineRefresher(database, engine).refresh()
        database.dispose()
    except Exception as exc:  # no schema yet, or unreachable: the shipped model serves
        typer.echo(f"note: using the shipped triage model ({exc.__class__.__name__})", err=True)
    return engine


@app.command()
def train(
    force: Annotated[bool, typer.Option("--force", help="activate even if not better")] = False,
) -> None:
    """Retrain triage from the seed set plus agents' corrections; activate it if not worse."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from consigndesk.model_registry import corrections_as_examples, store_model
    from consigndesk.triage import Metrics, compare, seed_examples
    from consigndesk.triage import train as fit

    core = _core()
    assert core.engine is not None
    corrections = corrections_as_examples(core.database)
    examples = [*seed_examples(), *corrections]
    with Progress(transient=True) as progress:
        task = progress.add_task(f"training on {len(examples)} examples", total=4)
        model, metrics = fit(
            examples, progress=lambda done, _: progress.update(task, completed=done)
        )
    current = core.engine.model
    current_metrics = Metrics.from_dict(current.metadata["metrics"])
    table = Table(title="held-out metrics")
    table.add_column("metric")
    table.add_column(f"current {current.version}", justify="right")
    table.add_column(f"new {model.version}", justify="right")
    rows = [
        ("intent accuracy", current_metrics.accuracy, metrics.accuracy),
        ("intent macro-F1", current_metrics.macro_f1, metrics.macro_f1),
    ]
    rows += [
        (f"accuracy {lang}", value, metrics.accuracy_by_language.get(lang, 0.0))
        for lang, value in sorted(current_metrics.accuracy_by_language.items())
    ]
    rows += [
        ("sentiment accuracy", current_metrics.sentiment_accuracy, metrics.sentiment_accuracy),
        ("emotion accuracy", current_metrics.emotion_accuracy, metrics.emotion_accuracy),
    ]
    for name, old, new in rows:
        table.add_row(name, f"{old:.3f}", f"{new:.3f}")
    console = Console()
    console.print(table)
    console.print(f"{len(corrections)} agent corrections, {len(examples)} examples in all")
    activate = force or compare(metrics, current_metrics)
    store_model(core.database, model, activate=activate)
    if activate:
        core.engine.swap(model)
        console.print(f"activated {model.version}; servers pick it up within a minute")
    else:
        console.print(f"kept {current.version}: the new model is worse (use --force to activate)")


@email_app.command("poll")
def email_poll() -> None:
    """Poll the configured IMAP mailboxes once (CONSIGNDESK_IMAP_MAILBOXES) and report."""
    from consigndesk.adapters.channels.email.wiring import imap_poller
    from consigndesk.services.email import EmailChannel

    core = _core()
    channel = core.extras["email"]
    assert isinstance(channel, EmailChannel)
    poller = imap_poller(core.settings, channel)
    if poller is None:
        fail("no mailboxes configured: set CONSIGNDESK_IMAP_MAILBOXES (a JSON list)")
        return
    result = poller.poll_once()
    core.relay.drain()
    typer.echo(f"ingested {result.ingested}, failed {result.failed}")
    for error in result.errors:
        typer.echo(f"error: {error}", err=True)
    if result.errors or result.failed:
        raise typer.Exit(code=1)


@email_app.command("ingest")
def email_ingest(
    path: Annotated[Path, typer.Argument(help="an .eml file; - reads stdin", allow_dash=True)],
) -> None:
    """Ingest one raw message, as if it had arrived over SMTP (prints what became of it)."""
    from consigndesk.services.email import EmailChannel

    raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    core = _core()
    channel = core.extras["email"]
    assert isinstance(channel, EmailChannel)
    outcome = channel.ingest(raw)
    core.relay.drain()
    typer.echo(
        f"{outcome.action} ticket={outcome.ticket_id} quarantine={outcome.quarantine_id} "
        f"{outcome.reason}".rstrip()
    )


def main() -> None:
    app()
