"""Campaign throughput: messages written through a local OpenAI-compatible server, then mailed.

Seeds scored customers and their contacts into a fresh PostgreSQL database, drafts a campaign
whose treated customers get `--messages` emails, and measures in one run:
  (a) generation: our message writing (prompts, the async client at the configured
      concurrency, parsing, batches stored as they are written) against a local server that
      answers every chat completion after `--latency` seconds; the ideal rate is
      concurrency / latency, and the bare SDK (the same requests, nothing else) is measured
      too as the client's own floor;
  (b) sending: approval, then the outbox (sending committed before each hand-over, the
      outcome after) to a local SMTP server (aiosmtpd), against smtplib sending the same
      number of ready messages over one connection.
Memory is sampled after every stored batch: flat means the last batch holds no more than the
first. The servers run in their own processes. Prints one JSON object.

    python bench/campaigns.py --messages 10000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/retainai_bench_campaigns
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from local_servers import free_port, start_server, wait_for_port  # this folder's module

REPO = Path(__file__).resolve().parents[1]
SCORED_AS_OF = date(2026, 11, 1)
TARGETS = {"share_of_ideal": 0.8, "send_per_second": 300.0, "rss_growth_mb": 50.0}


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def fresh_database(url: str) -> None:
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def audience_for(messages: int, share: float) -> int:
    """The audience size whose treated part (all one risk segment) is exactly `messages`."""
    size = int(messages / (1 - share))
    while size - int(share * size + 0.5) < messages:
        size += 1
    return size


def seed(settings, config, customers: int) -> None:
    """Scored customers (all high risk, all worth a contact) and a contact for each.

    The scores are committed as one scoring run of their period, as the scoring flow commits
    one: the run recorded under the period's lock, its rows and KPI snapshot merged in one
    transaction (campaigns choose from the latest committed period). The contacts are
    imported by the contacts import."""
    import numpy as np
    import pandas as pd

    from data.contacts import generate_contacts
    from tasks.adapters import db, score_merge
    from tasks.core.kpis import compute_kpis
    from tasks.core.scoring import assign_risk_segments, kpi_columns
    from tasks.scoring_run import locked_period
    from tasks.services.contacts import import_contacts
    from tasks.services.context import Context

    rng = np.random.default_rng(7)
    ids = [f"B{i:07d}" for i in range(customers)]
    probability = rng.uniform(0.7, 0.95, customers)
    reasons = [
        {"feature": "Contract", "value": "Month-to-month", "contribution": 0.8},
        {"feature": "tenure", "value": 4, "contribution": 0.5},
    ]
    rows = pd.DataFrame(
        {
            "customer_id": ids,
            "churn_probability": probability,
            "risk_segment": assign_risk_segments(probability, config.segments),
            "top_reasons": json.dumps(reasons),
            "monthly_value": 80.0,
            "segment_value": "Month-to-month",
            "expected_remaining_months": 10.0,
            "lifetime_value": 1500.0,
        }
    )
    ctx = Context(settings)
    db.upgrade(ctx.engine)
    with locked_period(settings, config, SCORED_AS_OF) as period:
        run = period.start(settings.model_name(config), "1", "bench: generated scores")
        counts = {"rows_in": customers, "rows_scored": customers, "rows_quarantined": 0}
        kpis = compute_kpis(kpi_columns(rows), config)
        with score_merge.open_merge(period.engine, run) as merge:
            score_merge.write_chunk(period.engine, merge, run, 0, [rows])
            score_merge.finish_merge(period.engine, merge, run, kpis, counts, 1)
    contacts = generate_contacts(ids, seed=7).assign(consent_email=True)
    import_contacts(ctx, config, contacts)


def raw_client_rate(base_url: str, requests: int, concurrency: int) -> float:
    """Messages per second of the bare SDK: the same calls, no prompt building or storing."""
    import asyncio

    import openai

    async def run() -> float:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await client.chat.completions.create(
                    model="bench", messages=[{"role": "user", "content": "hello"}]
                )

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        elapsed = time.perf_counter() - started
        await client.close()
        return requests / elapsed

    return asyncio.run(run())


def raw_smtp_rate(settings, count: int) -> float:
    """Emails per second of smtplib alone: ready messages over one connection."""
    import smtplib

    from tasks.adapters.campaign_mail import campaign_email

    mails = [
        campaign_email(
            settings,
            campaign_id=0,
            customer_id=f"R{i}",
            to=f"r{i}@example.test",
            subject="Hello",
            text="A ready message.",
        )
        for i in range(count)
    ]
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port) as smtp:
        started = time.perf_counter()
        for mail in mails:
            smtp.send_message(mail)
        return count / (time.perf_counter() - started)


def run(args) -> dict:
    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.services import campaigns
    from tasks.services.context import Context

    llm_port, smtp_port = free_port(), free_port()
    llm = start_server("llm", llm_port, args.latency)
    smtp = start_server("smtp", smtp_port)
    try:
        wait_for_port(llm_port)
        smtp.stdout.readline()
        fresh_database(args.database_url)
        state = Path(tempfile.mkdtemp(prefix="retainai-bench-campaigns-"))
        settings = Settings(
            state_dir=state,
            database_url=args.database_url,
            llm_base_url=f"http://127.0.0.1:{llm_port}/v1",
            llm_api_key="bench",
            llm_concurrency=args.concurrency,
            llm_timeout_seconds=30,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_security="none",
            secret_key="a-bench-signing-key-of-32-chars!",
            public_url="https://retain.example.test",
            mail_from="RetainAI <offers@example.test>",
        )
        config = load_config(REPO / "configs" / "telco.yaml")
        share = 0.1
        seed(settings, config, audience_for(args.messages, share))
        ctx = Context(settings)
        draft = campaigns.CampaignDraft(
            name="bench",
            created_by="bench",
            offer="loyalty-discount",
            channels=("email",),
            audience=campaigns.AudienceFilter(risk_segments=("high",)),
            holdout_share=share,
            start_writing=False,  # written here, timed
        )
        campaign = campaigns.create_campaign(ctx, config, draft)
        rss = []
        started = time.perf_counter()
        totals = campaigns.generate_messages(
            ctx, config, campaign.id, lambda stored: rss.append(_rss_mb())
        )
        generation = time.perf_counter() - started
        calls = min(args.messages, 3200)
        raw_rate = raw_client_rate(settings.llm_base_url, calls, args.concurrency)
        campaigns.approve_campaign(ctx, config, campaigns.ApproveCampaign(campaign.id, "bench"))
        started = time.perf_counter()
        counts = campaigns.send_campaign(ctx, config, campaigns.SendCampaign(campaign.id))
        sending = time.perf_counter() - started
        smtp_raw = raw_smtp_rate(settings, min(args.messages, 3000))
    finally:
        llm.terminate()
        smtp.terminate()
        llm.wait()
    received = int(smtp.communicate()[0].split()[-1])
    rate = totals["messages"] / generation
    ideal = args.concurrency / args.latency
    figures = {
        "messages": totals["messages"],
        "latency_seconds": args.latency,
        "concurrency": args.concurrency,
        "generation_seconds": round(generation, 2),
        "messages_per_second": round(rate, 1),
        "ideal_messages_per_second": round(ideal, 1),
        "share_of_ideal": round(rate / ideal, 3),
        "raw_client_messages_per_second": round(raw_rate, 1),
        "send_seconds": round(sending, 2),
        "sent": counts.get("sent", 0),
        "send_per_second": round(counts.get("sent", 0) / sending, 1),
        "raw_smtp_per_second": round(smtp_raw, 1),
        "smtp_received": received,
        "rss_mb_first_batch": round(rss[0], 1),
        "rss_mb_last_batch": round(rss[-1], 1),
        "rss_growth_mb": round(rss[-1] - rss[0], 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "paths": totals.get("paths"),
    }
    figures["targets"] = TARGETS
    figures["meets_targets"] = (
        figures["share_of_ideal"] >= TARGETS["share_of_ideal"]
        and figures["send_per_second"] >= TARGETS["send_per_second"]
        and figures["rss_growth_mb"] <= TARGETS["rss_growth_mb"]
        and figures["sent"] == figures["messages"]
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per LLM answer")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "RETAINAI_BENCH_DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/retainai_bench_campaigns",
        ),
    )
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
