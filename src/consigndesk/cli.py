"""The `consigndesk` command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from consigndesk.bootstrap import App
from consigndesk.config import Settings
from consigndesk.domain.errors import DomainError

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

    from consigndesk.adapters.http.app import create_app
    from consigndesk.logs import configure_logging

    configure_logging(core.settings.log_json)
    if workers > 1:  # each worker process builds its own core: stateless API processes
        core.close()
        uvicorn.run(
            "consigndesk.asgi:create",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=True,
        )
        return
    uvicorn.run(create_app(core), host=host, port=port, log_level="warning", proxy_headers=True)


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
    from consigndesk.services.admin import ensure_default_groups

    ensure_default_groups(core.uow())
    _serve(core, host, port, workers)


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
    for email, role, team in summary.logins:
        typer.echo(f"    {email:<32} {role:<10} {team}")
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
    from consigndesk.triage_cli import run

    run(sys.stdin.buffer, sys.stdout)


def main() -> None:
    app()
