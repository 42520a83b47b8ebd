"""A config drafted by init-config trains on Telco as well as the hand-written one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from configs.schema import RunConfig, load_config
from tasks.core import modeling
from tasks.core.contract import validate_frame
from tasks.core.draft_yaml import render_draft
from tasks.core.drafting import draft_config
from tasks.core.evaluation import evaluate
from tasks.train import tune_and_fit
from tests.tables import SMALL_MODEL

ROOT = Path(__file__).resolve().parents[2]
TELCO = Path("/work/shared/data/telco-customer-churn.csv")


def holdout_roc_auc(config: RunConfig, raw: pd.DataFrame) -> float:
    """Train with the same small grids, without Prefect or MLflow; holdout ROC-AUC."""
    small = {**config.model.model_dump(), **SMALL_MODEL, "n_jobs": 1}
    config = RunConfig.model_validate({**config.model_dump(), "model": small})
    clean = validate_frame(raw, config, "training").clean
    split = modeling.split_holdout(clean, config)
    trained = tune_and_fit.fn(config, split, None)
    probabilities = trained.pipeline.predict_proba(split.holdout_features)[:, 1]
    return evaluate(split.holdout_target, probabilities, trained.threshold, "holdout").roc_auc


def test_telco_draft_trains_like_the_reference(tmp_path):
    if not TELCO.is_file():
        pytest.skip(f"Telco reference data not found at {TELCO}")
    raw = pd.read_csv(TELCO, dtype=str, keep_default_na=False)
    path = tmp_path / "telco.yaml"
    path.write_text(render_draft(draft_config(raw, "Churn", "telco")))
    drafted = load_config(path)
    assert set(drafted.model.families) == {"logistic_regression", "lightgbm", "blend"}
    for family in ("logistic_regression", "lightgbm"):
        assert modeling.family_grid(drafted, family, {})
    reference = load_config(ROOT / "configs" / "telco.yaml")
    draft_auc, reference_auc = holdout_roc_auc(drafted, raw), holdout_roc_auc(reference, raw)
    print(f"holdout ROC-AUC: draft {draft_auc:.4f}, configs/telco.yaml {reference_auc:.4f}")
    assert draft_auc == pytest.approx(reference_auc, abs=0.01)
