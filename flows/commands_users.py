"""The dashboard's users: create (password prompted, or generated and shown once), list,
change a role, deactivate, clear failed logins.

The command line acts as the operator of the server (shell access to it and to its
database settings), so its commands are not asked for a role (tasks/core/policy.py governs
the API and the pages); the accounts' own rules (the password rule, the last active admin)
apply as everywhere."""

from __future__ import annotations

import typer

from flows.cli_common import settings

users_app = typer.Typer(no_args_is_help=True, help="Dashboard users")


def operator_context():
    """The invocation's Context, its database at the current schema."""
    from tasks.services import accounts
    from tasks.services.context import Context

    ctx = Context(settings())
    accounts.ensure_store(ctx)
    return ctx


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="The user's email (their login)."),
    role: str = typer.Option(..., help="viewer, analyst or admin."),
    prompt: bool = typer.Option(False, "--prompt", help="Type the password (else generated)."),
) -> None:
    """Create a user; a generated password is printed once, only its Argon2id hash is kept."""
    from tasks.services import accounts

    password = None
    if prompt:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user, shown = accounts.create_user(operator_context(), accounts.NewUser(email, role, password))
    typer.echo(f"user {user['email']} ({user['role']}) created, id {user['id']}")
    if shown:
        typer.echo("password (shown once, change it after the first login):", err=True)
        typer.echo(shown)


@users_app.command("list")
def users_list() -> None:
    """Every user's id, email, role and state."""
    from tasks.services import accounts

    for row in accounts.list_users(operator_context()):
        state = "active" if row["active"] else "inactive"
        typer.echo(f"{row['id']:>5}  {row['email']:<40} {row['role']:<8} {state}")


@users_app.command("set-role")
def users_set_role(
    user_id: int = typer.Argument(..., help="The user's id (see `users list`)."),
    role: str = typer.Argument(..., help="viewer, analyst or admin."),
    deactivate: bool = typer.Option(False, "--deactivate", help="Also block the account."),
) -> None:
    """Change a user's role (the last active admin stays one); --deactivate ends sessions."""
    from tasks.services import accounts

    change = accounts.RoleChange(user_id, role, active=not deactivate)
    accounts.set_role(operator_context(), change)
    typer.echo(f"user {user_id}: {role}{' (inactive)' if deactivate else ''}")


@users_app.command("unlock")
def users_unlock(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Forget the user's failed logins from every address, so no wait is left."""
    from tasks.services import accounts

    cleared = accounts.unlock(operator_context(), email)
    typer.echo(f"user {email.strip().lower()}: {cleared} failed logins forgotten")
