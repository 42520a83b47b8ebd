"""Customer data: uploads from the dashboard (accepted, checked, listed, their quarantined
rows downloaded, scored), the sources runs read and config drafts for new churn tables."""

from tasks.services.data.commands import (
    Checker,
    CheckUpload,
    ConfigDraft,
    DataOverview,
    DraftRequest,
    NewUpload,
    ScoreUpload,
    ScoringStarted,
    UploadCheck,
)
from tasks.services.data.drafts import draft_config, draft_path
from tasks.services.data.sources import (
    check_parameter,
    configured_sources,
    describe,
    source_of,
)
from tasks.services.data.uploads import (
    accept_upload,
    check_upload,
    discard_upload,
    list_uploads,
    quarantine_download,
    score_upload,
    verdict_of,
)

__all__ = [
    "CheckUpload",
    "Checker",
    "ConfigDraft",
    "DataOverview",
    "DraftRequest",
    "NewUpload",
    "ScoreUpload",
    "ScoringStarted",
    "UploadCheck",
    "accept_upload",
    "check_parameter",
    "check_upload",
    "configured_sources",
    "describe",
    "discard_upload",
    "draft_config",
    "draft_path",
    "list_uploads",
    "quarantine_download",
    "score_upload",
    "source_of",
    "verdict_of",
]
