"""The campaign use cases, each written once for every door (API, pages, CLI, flows):
preview and create a draft, read one or all, write its messages, approve, send, record
outcomes, report."""

from tasks.core.audience import AudienceFilter
from tasks.services.campaigns.background import (
    Progress,
    campaign_progress,
    send_now,
    start_writing,
    stop_sending,
)
from tasks.services.campaigns.commands import (
    ApproveCampaign,
    CampaignDraft,
    CancelCampaign,
    EditMessage,
    ExcludeCustomer,
    InvalidDraftError,
    MessageKey,
    PastScheduleError,
    RecordOutcomes,
    RegenerateMessage,
    SendCampaign,
    SendNow,
    read_when,
)
from tasks.services.campaigns.drafting import (
    Preview,
    create_campaign,
    preview_audience,
    rank_choices,
)
from tasks.services.campaigns.editing import (
    cancel_campaign,
    edit_message,
    exclude_customer,
    get_message,
    regenerate_message,
)
from tasks.services.campaigns.exports import (
    AudienceExport,
    audience_export,
    messages_export,
    sms_export,
)
from tasks.services.campaigns.lifecycle import (
    ApprovalQuote,
    approval_quote,
    approve_campaign,
    due_campaigns,
    record_outcomes,
)
from tasks.services.campaigns.rules import offer_of
from tasks.services.campaigns.sending import send_campaign
from tasks.services.campaigns.views import (
    CampaignView,
    campaign_messages,
    get_campaign,
    list_campaigns,
    read_report,
    refresh_report,
    write_report,
)
from tasks.services.campaigns.writing import generate_messages

__all__ = [
    "ApprovalQuote",
    "ApproveCampaign",
    "AudienceExport",
    "AudienceFilter",
    "CampaignDraft",
    "CampaignView",
    "CancelCampaign",
    "EditMessage",
    "ExcludeCustomer",
    "InvalidDraftError",
    "MessageKey",
    "PastScheduleError",
    "Preview",
    "Progress",
    "RecordOutcomes",
    "RegenerateMessage",
    "SendCampaign",
    "SendNow",
    "approval_quote",
    "approve_campaign",
    "audience_export",
    "campaign_messages",
    "campaign_progress",
    "cancel_campaign",
    "create_campaign",
    "due_campaigns",
    "edit_message",
    "exclude_customer",
    "generate_messages",
    "get_campaign",
    "get_message",
    "list_campaigns",
    "messages_export",
    "offer_of",
    "preview_audience",
    "rank_choices",
    "read_report",
    "read_when",
    "record_outcomes",
    "refresh_report",
    "regenerate_message",
    "send_campaign",
    "send_now",
    "sms_export",
    "start_writing",
    "stop_sending",
    "write_report",
]
