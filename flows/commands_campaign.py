"""The campaign commands: create, preview, generate, approve, send, report, list, events,
contacts import, and uplift models trained on finished campaigns."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from configs.vocabulary import CHANNELS as ALL_CHANNELS
from configs.vocabulary import TARGET_SEGMENTS
from flows.cli_common import DEFAULT_CONFIG, settings
from flows.commands_campaign_messages import register as register_message_commands

campaign_app = typer.Typer(no_args_is_help=True, help="Retention campaigns")
events_app = typer.Typer(no_args_is_help=True, help="Campaign outcome events")
contacts_app = typer.Typer(no_args_is_help=True, help="Customer contacts and consents")
uplift_app = typer.Typer(no_args_is_help=True, help="Uplift models from finished campaigns")
campaign_app.add_typer(events_app, name="events")
CONFIG = typer.Option(DEFAULT_CONFIG, help="Run config (YAML).")


def _filter(segments, min_probability, max_probability, segment_values, min_value, limit):
    from tasks.services.campaigns import AudienceFilter

    return AudienceFilter(
        risk_segments=tuple(segments.split(",")),
        min_probability=min_probability,
        max_probability=max_probability,
        segment_values=tuple(segment_values.split(",")) if segment_values else None,
        min_lifetime_value=min_value,
        limit=limit,
    )


def _context():
    """The use cases' Context of this invocation."""
    from tasks.services.context import Context

    return Context(settings())


def _table(source: str, table: str | None = None):
    from tasks.ingest import read_source

    return read_source(source, table=table, settings=settings())


SEGMENTS = typer.Option(",".join(TARGET_SEGMENTS), help="Risk segments, comma separated.")
MIN_P = typer.Option(None, help="Lowest churn probability.")
MAX_P = typer.Option(None, help="Highest churn probability.")
VALUES = typer.Option(None, help="Segment role values, comma separated.")
MIN_VALUE = typer.Option(None, help="Lowest lifetime value.")
LIMIT = typer.Option(None, help="Audience size (default: the profit-maximising one).")
RANK_BY = typer.Option(
    None,
    help="risk: churn probability; profit: expected profit from churn risk (the default with "
    "lifetime values); uplift: expected uplift x value from the champion uplift model (the "
    "customers from --data, else the scoring source).",
)
DATA = typer.Option(None, help="With --rank-by uplift: the customers' table (any source).")
TABLE = typer.Option(None, help="Table of a SQL database source.")
OFFER = typer.Option(..., help="An offer of the config's catalogue.")


def _customers(rank_by: str | None, data: str | None, table: str | None):
    """The customers' table when ranking by uplift from --data (else None)."""
    if rank_by not in (None, "risk", "profit", "uplift"):
        raise typer.BadParameter(f"--rank-by must be risk, profit or uplift, not {rank_by!r}")
    if rank_by != "uplift":
        return None
    if not data and settings().scoring_source is None:
        message = "--rank-by uplift needs --data (or RETAINAI_SCORING_SOURCE): the customers' table"
        raise typer.BadParameter(message)
    return _table(data, table) if data else None


CHANNELS = typer.Option("email", help=f"{', '.join(ALL_CHANNELS)} (comma separated).")


@campaign_app.command("preview")
def preview(
    config: Path = CONFIG,
    offer: str = OFFER,
    channels: str = CHANNELS,
    segments: str = SEGMENTS,
    min_probability: float = MIN_P,
    max_probability: float = MAX_P,
    segment_values: str = VALUES,
    min_lifetime_value: float = MIN_VALUE,
    limit: int = LIMIT,
    rank_by: str = RANK_BY,
    data: str = DATA,
    table: str = TABLE,
) -> None:
    """The profit curve over audience size, the best size and what the chosen one costs."""
    from configs.schema import load_config
    from tasks.services.campaigns import CampaignDraft, preview_audience

    draft = CampaignDraft(
        offer=offer,
        channels=tuple(channels.split(",")),
        audience=_filter(
            segments, min_probability, max_probability, segment_values, min_lifetime_value, limit
        ),
        customers=_customers(rank_by, data, table),
        rank=rank_by,
    )
    found = preview_audience(_context(), load_config(config), draft)
    folder = settings().reports_dir / "campaigns" / "preview"
    typer.echo(json.dumps(found.write(folder), indent=2, default=str))


@campaign_app.command("create")
def create(
    config: Path = CONFIG,
    name: str = typer.Option(..., help="Campaign name."),
    offer: str = OFFER,
    channels: str = CHANNELS,
    segments: str = SEGMENTS,
    min_probability: float = MIN_P,
    max_probability: float = MAX_P,
    segment_values: str = VALUES,
    min_lifetime_value: float = MIN_VALUE,
    limit: int = LIMIT,
    holdout_share: float = typer.Option(None, help="Default: campaigns.holdout_share."),
    rank_by: str = RANK_BY,
    data: str = DATA,
    table: str = TABLE,
    scheduled_at: str = typer.Option(
        None, help="Send no earlier than this ISO time (UTC without a zone); not in the past."
    ),
) -> None:
    """Create a draft: the audience by expected profit (or uplift) and its holdout, stored."""
    from configs.schema import load_config
    from tasks.services.campaigns import CampaignDraft, create_campaign, read_when

    draft = CampaignDraft(
        name=name,
        created_by="cli",
        offer=offer,
        channels=tuple(channels.split(",")),
        audience=_filter(
            segments, min_probability, max_probability, segment_values, min_lifetime_value, limit
        ),
        holdout_share=holdout_share,
        scheduled_at=read_when(scheduled_at, "scheduled_at"),
        customers=_customers(rank_by, data, table),
        rank=rank_by,
    )
    found = create_campaign(_context(), load_config(config), draft)
    typer.echo(f"campaign {found.id} (draft): {found.totals}")
    typer.echo(
        "its messages are being written in the background (a Prefect deployment run, or the "
        f"jobs worker `retainai serve` runs); `retainai campaign generate {found.id}` writes "
        "them here instead"
    )


@campaign_app.command("generate")
def generate(campaign_id: int, config: Path = CONFIG) -> None:
    """Write the messages of a draft (LLM with RETAINAI_LLM_API_KEY, else templates)."""
    from configs.schema import load_config
    from tasks.services.campaigns import generate_messages

    typer.echo(json.dumps(generate_messages(_context(), load_config(config), campaign_id)))


@campaign_app.command("approve")
def approve(
    campaign_id: int,
    config: Path = CONFIG,
    by: str = typer.Option(
        None, help="The approving person's email (needed by campaigns.require_second_approver)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Approve without asking to confirm."),
) -> None:
    """Show the count and the cost of the draft messages, then approve them all."""
    from configs.schema import load_config
    from tasks.services.campaigns import ApproveCampaign, approval_quote, approve_campaign

    ctx, run_config = _context(), load_config(config)
    quote = approval_quote(ctx, run_config, campaign_id)
    typer.echo(
        f"{quote.messages:,} draft messages to {quote.customers:,} customers: contacts "
        f"{quote.contact_cost:,.2f} {quote.currency}, offers expected "
        f"{quote.expected_offer_cost:,.2f} {quote.currency} (total {quote.cost:,.2f})"
    )
    if not yes and not typer.confirm("Approve them?"):
        raise typer.Exit(1)
    command = ApproveCampaign(campaign_id, by or "cli", by is not None, quote.messages)
    moved = approve_campaign(ctx, run_config, command)
    typer.echo(f"approved {moved:,} messages")


@campaign_app.command("send")
def send(
    campaign_id: int,
    config: Path = CONFIG,
    retry_unknown: bool = typer.Option(
        False, "--retry-unknown", help="Send messages left unknown by a crash."
    ),
    outbox: Path = typer.Option(None, help="Deliver email into this folder instead."),
) -> None:
    """Send the approved messages, at most once each (SMTP from settings, or --outbox)."""
    from configs.schema import load_config
    from tasks.services.campaigns import SendCampaign, send_campaign

    command = SendCampaign(campaign_id, retry_unknown, outbox)
    found = send_campaign(_context(), load_config(config), command)
    typer.echo(json.dumps(found))


@campaign_app.command("report")
def report(
    campaign_id: int,
    config: Path = CONFIG,
    recompute: bool = typer.Option(False, "--recompute", help="Compute and store it again."),
) -> None:
    """The stored report: sent, accepted, retention treated vs holdout, lift, revenue saved
    and net of costs (each with its interval), costs of generation and of offers."""
    from configs.schema import load_config
    from tasks.services.campaigns import write_report

    found = write_report(_context(), load_config(config), campaign_id, recompute)
    typer.echo(json.dumps(found, indent=2, default=str))


@campaign_app.command("list")
def list_campaigns(config: Path = CONFIG) -> None:
    """The table's campaigns with their status and totals."""
    from configs.schema import load_config
    from tasks.services.campaigns import list_campaigns

    for row in list_campaigns(_context(), load_config(config)):
        typer.echo(f"{row.id:>5}  {row.status:<9} {row.name:<30} {row.totals}")


@events_app.command("import")
def events_import(campaign_id: int, source: str, config: Path = CONFIG) -> None:
    """Outcome events (customer_id, event[, event_key, occurred_at]) from any source."""
    from configs.schema import load_config
    from tasks.services.campaigns import RecordOutcomes, record_outcomes

    command = RecordOutcomes(campaign_id, _table(source))
    new = record_outcomes(_context(), load_config(config), command)
    typer.echo(f"{new:,} new events")


@contacts_app.command("import")
def contacts_import(source: str, config: Path = CONFIG) -> None:
    """Contacts (customer_id, first_name, email, phone, consent_email, consent_sms)."""
    from configs.schema import load_config
    from tasks.services.contacts import import_contacts

    found = import_contacts(_context(), load_config(config), _table(source))
    typer.echo(f"{found:,} contacts")


@uplift_app.command("train")
def uplift_train(
    campaign: list[int] = typer.Option(..., help="A finished campaign (repeat for more)."),
    data: str = typer.Option(..., help="The customers' table: any source `train` accepts."),
    table: str = typer.Option(None, help="Table of a SQL database source."),
    config: Path = CONFIG,
    family: str = typer.Option("logistic_regression", help="Model family of both learners."),
) -> None:
    """A T-learner on the campaigns' treated vs holdout customers, judged on a held-out part
    (Qini, AUUC, uplift at the top 10/20/30%), logged to MLflow and registered."""
    from configs.schema import load_config
    from tasks.services.campaigns.uplift import train_uplift

    run_config = load_config(config)
    raw = _table(data, table)
    found = train_uplift(settings(), run_config, campaign, raw, data, family)
    typer.echo(json.dumps(found, indent=2, default=str))


register_message_commands(campaign_app)  # message, exclude, cancel, sms-export
