"""The campaign use cases, each written once for every door (API, pages, CLI, flows):
preview and create a draft, read one or all, write its messages, approve, send, record
outcomes, report."""

from tasks.core.audience import AudienceFilter
from tasks.services.campaigns.commands import (
    ApproveCampaign,
    CampaignDraft,
    InvalidDraftError,
    RecordOutcomes,
    SendCampaign,
)
from tasks.services.campaigns.drafting import (
    Preview,
    create_campaign,
    preview_audience,
    rank_choices,
)
from tasks.services.campaigns.lifecycle import approve_campaign, due_campaigns, record_outcomes
from tasks.services.campaigns.rules import offer_of
from tasks.services.campaigns.sending import send_campaign
from tasks.services.campaigns.views import (
    CampaignView,
    campaign_messages,
    get_campaign,
    list_campaigns,
    read_report,
    write_report,
)
from tasks.services.campaigns.writing import generate_messages

__all__ = [
    "ApproveCampaign",
    "AudienceFilter",
    "CampaignDraft",
    "CampaignView",
    "InvalidDraftError",
    "Preview",
    "RecordOutcomes",
    "SendCampaign",
    "approve_campaign",
    "campaign_messages",
    "create_campaign",
    "due_campaigns",
    "generate_messages",
    "get_campaign",
    "list_campaigns",
    "offer_of",
    "preview_audience",
    "rank_choices",
    "read_report",
    "record_outcomes",
    "send_campaign",
    "write_report",
]
