"""Writing a campaign's messages in batches: the writer writes one batch while the last is
stored.

One message writer (one budget, one bound on requests in flight) serves the whole campaign;
each batch of `settings.message_batch_size` messages is stored in its own transaction as soon
as it is written, and at most two batches are held at once, so memory does not grow with the
campaign and a crash keeps every stored batch (a rerun writes only what is missing: one
message per customer and channel). Never for the holdout, never to a suppressed customer.

Each message is written in its customer's language (the contact's, else the table's
`campaigns.default_language`) and names the offer as customers read it in that language
(never its catalogue key). Identical prompts are asked once (see tasks/adapters/llm.py); the
totals count the prompts asked and the answers reused.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, get_args

import pandas as pd

from configs.campaigns import Language
from configs.schema import RunConfig
from tasks.adapters import campaign_store as store
from tasks.adapters.campaign_candidates import member_scores
from tasks.adapters.deliverers import CHANNEL_ADAPTERS
from tasks.adapters.llm import MessageRequest, OpenAIMessageWriter, WrittenMessage
from tasks.core.audience import HOLDOUT
from tasks.core.errors import ConflictError
from tasks.core.message_facts import Offer, build_facts
from tasks.i18n import N_
from tasks.services.campaigns.background import WRITING_ENDED, WRITING_SINCE, mark_writing
from tasks.services.campaigns.views import refresh_report, stored_campaign
from tasks.services.contacts import reachable_pairs
from tasks.services.context import Context


def generate_messages(
    ctx: Context,
    config: RunConfig,
    campaign_id: int,
    progress: Callable[[int], Any] = lambda stored: None,
) -> dict[str, Any]:
    """Messages for the treated customers with a contact and consent on each channel of a
    draft campaign; existing messages are kept. Returns the campaign's totals, also stored on
    the campaign. `progress` hears how many messages each stored batch held."""
    engine, settings = ctx.engine, ctx.settings
    campaign = stored_campaign(engine, config, campaign_id)
    if campaign["status"] != "draft":
        raise ConflictError(
            N_("campaign %(id)s is %(status)s: its messages stand"),
            id=campaign_id,
            status=campaign["status"],
        )
    members = store.audience(engine, campaign_id)
    written = store.messages(engine, campaign_id)
    scores = member_scores(engine, config.dataset.name, campaign_id).set_index("customer_id")
    treated = members.loc[members["arm"] != HOLDOUT, "customer_id"]
    pairs, skipped = reachable_pairs(ctx, config, treated, campaign["channels"])
    done = pd.MultiIndex.from_frame(written[["customer_id", "channel"]])
    todo = pairs[~pd.MultiIndex.from_frame(pairs).isin(done)]
    languages = customer_languages(ctx, config)
    default = config.campaigns.default_language
    spec, key = config.campaigns.offers[campaign["offer"]], campaign["offer"]
    previous = campaign["totals"] or {}
    began = {WRITING_SINCE: datetime.now(UTC).isoformat()}
    planned = {**previous, "planned": len(written) + len(todo), "skipped": skipped, **began}
    store.update_campaign(engine, campaign_id, totals=planned)  # progress pages read it

    def requests(part: pd.DataFrame) -> list[MessageRequest]:
        facts = {}
        for c in part["customer_id"].unique():
            language = languages.get(c, default)
            offer = Offer(spec.name_in(key, language), spec.description_in(language))
            facts[c] = build_facts(scores.loc[c].to_dict(), config, offer, language)
        return [
            MessageRequest(facts[c], CHANNEL_ADAPTERS[ch].writes_as, key=f"{c}\t{ch}")
            for c, ch in part.itertuples(index=False)
        ]

    tally: dict[str, Any] = {"stored": 0, "tokens": 0, "cost": 0.0, "paths": Counter()}
    tally |= {"asked": 0, "reused": 0}

    def save(results: list[WrittenMessage]) -> None:  # one batch at a time, in order
        rows = [message_row(campaign_id, result) for result in results]
        stored = store.save_messages(engine, rows)
        tally["stored"] += stored
        tally["tokens"] += sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows)
        tally["cost"] += sum(r["cost"] for r in rows)
        tally["paths"].update(r["path"].split(":")[0] for r in rows)
        progress(stored)

    batch = settings.message_batch_size
    parts = [todo.iloc[start : start + batch] for start in range(0, len(todo), batch)]
    try:
        asyncio.run(_write_and_store(settings, parts, requests, save, tally))
    except BaseException:  # broken off: its page stops waiting (done, the totals say so)
        mark_writing(ctx, campaign_id, WRITING_ENDED)
        raise
    paths = Counter(previous.get("paths") or {}) + tally["paths"]
    totals = {
        **planned,
        "messages": len(written) + tally["stored"],
        "paths": dict(paths),
        "tokens": int(previous.get("tokens", 0)) + tally["tokens"],
        "cost": round(float(previous.get("cost", 0.0)) + tally["cost"], 6),
        "prompts_asked": int(previous.get("prompts_asked", 0)) + tally["asked"],
        "answers_reused": int(previous.get("answers_reused", 0)) + tally["reused"],
        WRITING_ENDED: datetime.now(UTC).isoformat(),
    }
    store.update_campaign(engine, campaign_id, totals=totals)
    refresh_report(ctx, config, campaign_id)  # the generation cost: stored anew
    return totals


def customer_languages(ctx: Context, config: RunConfig) -> dict[str, str]:
    """The language of each customer whose contact names one we write in."""
    people = store.contacts_of(ctx.engine, config.dataset.name)
    found = {}
    for customer, language in zip(people["customer_id"], people["language"], strict=True):
        if isinstance(language, str) and language in get_args(Language):
            found[customer] = language
    return found


async def _write_and_store(settings, parts, requests, save, tally) -> None:
    """Write the parts through one writer, the next part's requests queued behind the current
    one's (so the writer never drains between parts); store each in a thread when written.
    `tally` hears how many prompts the writer asked and how many answers it reused."""
    writing: deque[asyncio.Future] = deque()
    saving: asyncio.Future | None = None

    async def store_next() -> None:
        nonlocal saving
        results = await writing.popleft()
        if saving is not None:
            await saving
        saving = asyncio.ensure_future(asyncio.to_thread(save, results))

    async with OpenAIMessageWriter(settings) as writer:
        for part in parts:
            writing.append(asyncio.ensure_future(writer.write_batch(requests(part))))
            if len(writing) == 2:
                await store_next()
        while writing:
            await store_next()
        if saving is not None:
            await saving
        tally["asked"] += writer.asked
        tally["reused"] += writer.reused


def message_row(campaign_id: int, result: WrittenMessage) -> dict[str, Any]:
    customer, channel = result.key.split("\t")
    message = result.message
    path = result.path if result.reason is None else f"{result.path}: {result.reason}"
    return {
        "campaign_id": campaign_id,
        "customer_id": customer,
        "channel": channel,
        "status": "draft",
        "subject": message.subject,
        "body": message.body,
        "call_to_action": message.call_to_action,
        "language": result.language,
        "path": path,
        "prompt_version": result.prompt_version or result.template_version or "none",
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cost": result.cost,
    }
