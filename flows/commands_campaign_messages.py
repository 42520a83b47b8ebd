"""The campaign commands before sending: a message shown, edited, written again; a customer
excluded; a campaign cancelled; and the SMS export saved once sent. Each calls the use case
the pages and the API call."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from flows.cli_common import DEFAULT_CONFIG, settings

message_app = typer.Typer(no_args_is_help=True, help="One message of a campaign")
CONFIG = typer.Option(DEFAULT_CONFIG, help="Run config (YAML).")
WHO = typer.Option("cli", help="Who does it (recorded with the change).")


def _context():
    from tasks.services.context import Context

    return Context(settings())


def _echo(found: dict) -> None:
    typer.echo(json.dumps(found, indent=2, default=str))


def _key(campaign_id: int, customer_id: str, channel: str):
    from tasks.services.campaigns import MessageKey

    return MessageKey(campaign_id, customer_id, channel)


@message_app.command("show")
def show(campaign_id: int, customer_id: str, channel: str = "email", config: Path = CONFIG):
    """The message's subject, body and call to action, how it was written and its status."""
    from configs.schema import load_config
    from tasks.services.campaigns import get_message

    _echo(get_message(_context(), load_config(config), _key(campaign_id, customer_id, channel)))


@message_app.command("edit")
def edit(
    campaign_id: int,
    customer_id: str,
    channel: str = "email",
    body: str = typer.Option(..., help="The new body (checked like a model's answer)."),
    subject: str = typer.Option(None, help="Email: the new subject."),
    call_to_action: str = typer.Option(None, help="Email: the new call to action."),
    by: str = WHO,
    config: Path = CONFIG,
) -> None:
    """Replace a draft message's text; it is kept as edited."""
    from configs.schema import load_config
    from tasks.services.campaigns import EditMessage, edit_message

    key = _key(campaign_id, customer_id, channel)
    command = EditMessage(key, body.replace("\\n", "\n"), by, subject, call_to_action)
    _echo(edit_message(_context(), load_config(config), command))


@message_app.command("regenerate")
def regenerate(
    campaign_id: int, customer_id: str, channel: str = "email", config: Path = CONFIG
) -> None:
    """Write a draft message again (the language model with a key, else the templates)."""
    from configs.schema import load_config
    from tasks.services.campaigns import RegenerateMessage, regenerate_message

    command = RegenerateMessage(_key(campaign_id, customer_id, channel))
    _echo(regenerate_message(_context(), load_config(config), command))


def exclude(campaign_id: int, customer_id: str, by: str = WHO, config: Path = CONFIG) -> None:
    """Never send this treated customer the campaign's messages."""
    from configs.schema import load_config
    from tasks.services.campaigns import ExcludeCustomer, exclude_customer

    command = ExcludeCustomer(campaign_id, customer_id, by)
    moved = exclude_customer(_context(), load_config(config), command)
    typer.echo(f"{customer_id} excluded: {moved:,} messages will not be sent")


def cancel(
    campaign_id: int,
    by: str = WHO,
    config: Path = CONFIG,
    yes: bool = typer.Option(False, "--yes", help="Cancel without asking to confirm."),
) -> None:
    """Cancel a campaign before its sending begins: none of its messages is sent."""
    from configs.schema import load_config
    from tasks.services.campaigns import CancelCampaign, cancel_campaign

    if not yes and not typer.confirm(f"Cancel campaign {campaign_id}?"):
        raise typer.Exit(1)
    moved = cancel_campaign(_context(), load_config(config), CancelCampaign(campaign_id, by))
    typer.echo(f"campaign {campaign_id} cancelled: {moved:,} messages will not be sent")


def sms_export(
    campaign_id: int,
    out: Path = typer.Option(..., help="The CSV file to write (phone, text, message_id)."),
    config: Path = CONFIG,
) -> None:
    """Save the SMS export the send wrote for the gateway."""
    from configs.schema import load_config
    from tasks.services.campaigns import sms_export as export

    found = export(_context(), load_config(config), campaign_id)
    out.write_bytes(found.content)
    typer.echo(f"{found.rows:,} SMS written to {out}")


def register(campaign_app: typer.Typer) -> None:
    """These commands under `retainai campaign`."""
    campaign_app.add_typer(message_app, name="message")
    campaign_app.command("exclude")(exclude)
    campaign_app.command("cancel")(cancel)
    campaign_app.command("sms-export")(sms_export)
