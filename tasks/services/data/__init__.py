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
    read_customers,
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
from tasks.services.data.validation import (
    Validation,
    scoring_report,
    suite_for,
    validate_customers,
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
    "Validation",
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
    "read_customers",
    "score_upload",
    "scoring_report",
    "source_of",
    "suite_for",
    "validate_customers",
    "verdict_of",
]
