"""``lwmecps up`` and ``lwmecps token create``."""
from __future__ import annotations

import typer

from .output import console

token_app = typer.Typer(help="API tokens (stored hashed).", no_args_is_help=True)


def up() -> None:
    """Start MongoDB (embedded), Ray with its dashboard, the scheduler and the API; Ctrl-C stops all."""
    from lwmecps.platform.runtime import AlreadyRunning, BadPortVariable, up as run_up
    from lwmecps.platform.settings import Settings

    try:
        run_up(Settings(), say=lambda m: console.print(m, highlight=False))
    except (AlreadyRunning, BadPortVariable) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from None


@token_app.command("create")
def create(role: str = typer.Option(..., "--role", help="admin (read and write) or read (read-only)"),
           name: str = typer.Option("", "--name", help="a label to remember the token by")) -> None:
    """Create a token and print it (one line); only its hash is stored."""
    from lwmecps.platform.auth import ROLES, create_token
    from lwmecps.platform.mongo_server import start_nx27017
    from lwmecps.platform.settings import Settings
    from lwmecps.platform.store import Store

    if role not in ROLES:
        raise typer.BadParameter(f"unknown role {role!r}; roles: {', '.join(ROLES)}", param_hint="--role")
    settings = Settings().resolved()
    server = None
    store = Store(settings.mongo_uri(), settings.mongodb_db)
    try:
        store.ping()
    except Exception:
        if not settings.embedded_mongo:
            raise typer.BadParameter("cannot reach MONGODB_URI") from None
        server = start_nx27017(settings.data_dir, settings.embedded_mongo_port)  # the service is not running
        store = Store(settings.mongo_uri(), settings.mongodb_db)
    try:
        print(create_token(store.init().tokens, role, name))
    finally:
        if server is not None:
            server.stop()
