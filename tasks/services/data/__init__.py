"""Customer data: uploads from the dashboard (accepted, checked in the background, listed,
their quarantined rows downloaded, scored), the sources runs read and config drafts for new
churn tables."""

from tasks.services.data.checks import (
    accept_upload,
    run_upload_check,
    score_upload,
    upload_status,
)
from tasks.services.data.commands import (
    CheckUpload,
    ConfigDraft,
    DataOverview,
    DraftRequest,
    NewUpload,
    ScoreUpload,
    ScoringStarted,
    UploadAccepted,
    UploadCheck,
    UploadStatus,
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
    check_upload,
    discard_upload,
    list_uploads,
    quarantine_download,
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
    "ConfigDraft",
    "DataOverview",
    "DraftRequest",
    "NewUpload",
    "ScoreUpload",
    "ScoringStarted",
    "UploadAccepted",
    "UploadCheck",
    "UploadStatus",
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
    "run_upload_check",
    "score_upload",
    "scoring_report",
    "source_of",
    "suite_for",
    "upload_status",
    "validate_customers",
    "verdict_of",
]
