"""The dashboard's users: create (password prompted, or generated and shown once), list,
change a role, deactivate, clear failed logins."""

from __future__ import annotations

import typer

from flows.cli_common import settings

users_app = typer.Typer(no_args_is_help=True, help="Dashboard users")


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="The user's email (their login)."),
    role: str = typer.Option(..., help="viewer, analyst or admin."),
    prompt: bool = typer.Option(False, "--prompt", help="Type the password (else generated)."),
) -> None:
    """Create a user; a generated password is printed once, only its Argon2id hash is kept."""
    from tasks.admin import create_user

    password = None
    if prompt:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user, shown = create_user(settings(), email, role, password)
    typer.echo(f"user {user['email']} ({user['role']}) created, id {user['id']}")
    if shown:
        typer.echo("password (shown once, change it after the first login):", err=True)
        typer.echo(shown)


@users_app.command("list")
def users_list() -> None:
    """Every user's id, email, role and state."""
    from tasks.admin import list_users

    for row in list_users(settings()):
        state = "active" if row["active"] else "inactive"
        typer.echo(f"{row['id']:>5}  {row['email']:<40} {row['role']:<8} {state}")


@users_app.command("set-role")
def users_set_role(
    user_id: int = typer.Argument(..., help="The user's id (see `users list`)."),
    role: str = typer.Argument(..., help="viewer, analyst or admin."),
    deactivate: bool = typer.Option(False, "--deactivate", help="Also block the account."),
) -> None:
    """Change a user's role (the last active admin stays one); --deactivate ends sessions."""
    from tasks.admin import set_user_role

    set_user_role(settings(), user_id, role, active=not deactivate)
    typer.echo(f"user {user_id}: {role}{' (inactive)' if deactivate else ''}")


@users_app.command("unlock")
def users_unlock(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Forget the user's failed logins from every address, so no wait is left."""
    from tasks.admin import unlock_user

    cleared = unlock_user(settings(), email)
    typer.echo(f"user {email.strip().lower()}: {cleared} failed logins forgotten")
