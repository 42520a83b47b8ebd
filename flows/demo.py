"""`retainai demo`: the whole pipeline on embedded defaults, then where to look."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from configs.settings import Settings, load_settings
from data.generate import generate_customers, write_customers
from flows.monitor import monitor_churn_model
from flows.score import score_customers_flow
from flows.train import train_churn_model
from tasks.ingest import describe


def run_demo(config: Path, data: str | None, rows: int) -> dict[str, Any]:
    """Train on labelled customers, score a fresh batch, then check it for drift."""
    settings = load_settings()
    folder = settings.state / "data"
    if data is None:
        data = str(write_customers(generate_customers(rows, seed=7), folder / "customers.csv"))
    batch = str(write_customers(generate_customers(rows, seed=8), folder / "batch.csv"))
    training = train_churn_model(str(config), data)
    scoring = score_customers_flow(str(config), batch)
    monitoring = monitor_churn_model(str(config), batch, as_of=scoring["as_of"])
    return {
        "training": training,
        "scoring": scoring,
        "monitoring": monitoring,
        "campaign": demo_campaign(settings, config, batch),
        "admin": first_admin(settings),
        "where": where_to_look(settings),
    }


DEMO_ADMIN = "admin@retainai.example"


def first_admin(settings: Settings) -> dict[str, Any]:
    """The demo's dashboard admin, created once (its generated password is shown once)."""
    from tasks.services import accounts
    from tasks.services.context import Context

    ctx = Context(settings)
    accounts.ensure_store(ctx)
    if any(user["role"] == "admin" for user in accounts.list_users(ctx)):
        return {"email": None, "password": None}
    user, password = accounts.create_user(ctx, accounts.NewUser(DEMO_ADMIN, "admin"))
    return {"email": user["email"], "password": password}


def demo_campaign(settings: Settings, config: Path, batch: str) -> dict[str, Any]:
    """One campaign end to end: contacts, audience with its holdout, messages by template
    (no key needed), approved and delivered into a local outbox folder, outcomes drawn by
    the campaign simulator, and its report."""
    from configs.schema import load_config
    from data.contacts import generate_contacts
    from flows.campaign import run_retention_campaign
    from tasks.services import campaigns, contacts, data
    from tasks.services.campaigns.demo import demo_settings, simulate_outcomes
    from tasks.services.context import Context

    run_config = load_config(config)
    ctx = Context(settings)
    customers = data.read_customers(ctx, batch)
    ids = customers[run_config.dataset.id_column]
    contacts.import_contacts(ctx, run_config, generate_contacts(ids, seed=1))
    demo = Context(demo_settings(settings, served_url(settings)))
    drafted = run_retention_campaign(str(config), "demo win-back", "loyalty-discount")
    campaign_id = drafted["campaign"]
    campaigns.approve_campaign(demo, run_config, campaigns.ApproveCampaign(campaign_id, "demo"))
    outbox = settings.state / "outbox"
    sent = campaigns.send_campaign(
        demo, run_config, campaigns.SendCampaign(campaign_id, outbox=outbox)
    )
    true_lift = simulate_outcomes(demo, run_config, campaign_id, customers)
    report = campaigns.write_report(demo, run_config, campaign_id)
    return {
        "id": campaign_id,
        "sent": sent,
        "outbox": str(outbox),
        "true_lift": true_lift,
        "report": report,
    }


def served_url(settings: Settings) -> str:
    """Where `retainai serve` listens by default (RETAINAI_STACK_HOST, RETAINAI_API_PORT)."""
    return f"http://{settings.stack_host}:{settings.api_port}"


def where_to_look(settings: Settings) -> str:
    venv = Path(sys.executable).parent
    prefect_home = Path(settings.state / "prefect")
    return "\n".join(
        [
            "",
            f"state folder:  {settings.state}",
            f"reports:       {settings.reports_dir}",
            f"app database:  {describe(settings.resolved_database_url)}",
            "MLflow UI:     "
            + shlex.join(
                [
                    str(venv / "mlflow"),
                    "ui",
                    "--backend-store-uri",
                    describe(settings.resolved_tracking_uri),
                    "--port",
                    "5000",
                ]
            ),
            f"Prefect UI:    PREFECT_HOME={shlex.quote(str(prefect_home))} "
            f"{shlex.quote(str(venv / 'prefect'))} server start",
            f"dashboard:     {shlex.quote(str(venv / 'retainai'))} serve, then "
            f"{served_url(settings)}/auth/login",
        ]
    )
