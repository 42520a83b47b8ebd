"""Data shared by the survival and lifetime tests: the Telco config, generated customers and
the Telco reference file (tests using it skip where it is absent)."""

from pathlib import Path

import pandas as pd
import pytest

from configs.schema import RunConfig, load_config
from data.generate import generate_customers
from tasks.core.contract import validate_frame

REPO = Path(__file__).resolve().parents[2]
TELCO_CSV = REPO.parent / "shared/data/telco-customer-churn.csv"
M2M = "Month-to-month"
NO_INTERNET_DUPLICATES = {
    f"{c}=No internet service": "InternetService=No" for c in ("TechSupport", "OnlineSecurity")
}


def telco_config() -> RunConfig:
    return load_config(REPO / "configs" / "telco.yaml")


def generated_customers(config: RunConfig) -> pd.DataFrame:
    return validate_frame(generate_customers(3000, seed=11), config, "training").clean


def telco_frame(config: RunConfig) -> pd.DataFrame:
    """The validated Telco reference file; the calling test is skipped without it."""
    if not TELCO_CSV.is_file():
        pytest.skip(f"Telco reference file not found at {TELCO_CSV}")
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)
    return validate_frame(raw, config, "training").clean
