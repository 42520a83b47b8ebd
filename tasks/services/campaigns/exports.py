"""A campaign's SMS export (phone, text, message id), as the send wrote it for the gateway,
and its audience (customer, arm), whose outcomes its report needs, for a person to download."""

from __future__ import annotations

from dataclasses import dataclass

from configs.schema import RunConfig
from tasks.adapters import campaign_store as store
from tasks.adapters.sms_export import read_export
from tasks.core.csv_cells import safe_frame
from tasks.core.errors import NotFoundError
from tasks.services.campaigns.views import stored_campaign
from tasks.services.context import Context


@dataclass(frozen=True)
class SmsExport:
    filename: str
    content: bytes  # CSV, UTF-8
    rows: int  # SMS in it


def sms_export(ctx: Context, config: RunConfig, campaign_id: int) -> SmsExport:
    """The campaign's SMS export; NotFoundError until a send wrote one."""
    stored_campaign(ctx.engine, config, campaign_id)
    content = read_export(ctx.settings, campaign_id)
    if content is None:
        raise NotFoundError(
            f"campaign {campaign_id} has no SMS export yet: its approved SMS are exported "
            "when it is sent"
        )
    rows = max(0, content.count(b"\r\n") - 1)
    return SmsExport(f"campaign-{campaign_id}-sms.csv", content, rows)


@dataclass(frozen=True)
class AudienceExport:
    filename: str
    content: bytes  # CSV, UTF-8: customer_id, arm (treated or holdout), in rank order
    rows: int  # customers in it


def audience_export(ctx: Context, config: RunConfig, campaign_id: int) -> AudienceExport:
    """The campaign's audience, both arms: the customers whose outcome events (retained,
    churned, accepted...) its report measures, the holdout as much as the treated."""
    stored_campaign(ctx.engine, config, campaign_id)
    members = store.audience(ctx.engine, campaign_id)[["customer_id", "arm"]]
    content = safe_frame(members).to_csv(index=False, lineterminator="\r\n").encode()
    return AudienceExport(f"campaign-{campaign_id}-audience.csv", content, len(members))
