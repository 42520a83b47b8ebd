"""Monitoring: drift checks and their reports, realised performance on delayed outcomes."""

from tasks.services.monitoring.outcomes import record_outcomes, store_drift_check
from tasks.services.monitoring.summaries import drift_report_file, latest_drift, realised_history

__all__ = [
    "drift_report_file",
    "latest_drift",
    "realised_history",
    "record_outcomes",
    "store_drift_check",
]
