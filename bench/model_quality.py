"""Model quality on a churn table: the default training path against its targets.

Trains with the default config (search, CV threshold) on a stratified split of the training
part and scores the holdout once. The baseline in the same run is the logistic-regression
family alone, tuned the same way. Prints one JSON object.

    python bench/model_quality.py --data ../shared/data/telco-customer-churn.csv [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"roc_auc": 0.850, "brier": 0.135, "lift_at_10": 2.9, "f1_churn": 0.64}
MAX_FIT_SECONDS = 120.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared/data/telco-customer-churn.csv"))
    parser.add_argument("--config", default=str(REPO / "configs" / "telco.yaml"))
    parser.add_argument("--seed", type=int, default=42, help="split and CV seed")
    args = parser.parse_args()
    if not Path(args.data).is_file() and "://" not in args.data:
        print(json.dumps({"skipped": f"data not found: {args.data}"}))
        return 0

    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.adapters.sources import read_source
    from tasks.core import modeling
    from tasks.core.contract import validate_frame
    from tasks.core.evaluation import evaluate
    from tasks.train import tune_and_fit

    config = load_config(args.config)
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"seed": args.seed})}
    )
    clean = validate_frame(read_source(args.data, settings=Settings()), config, "training").clean
    split = modeling.split_holdout(clean, config)

    started = time.perf_counter()
    model = tune_and_fit.fn(config, split, None)
    fit_seconds = time.perf_counter() - started
    probabilities = model.pipeline.predict_proba(split.holdout_features)[:, 1]
    result = evaluate(split.holdout_target, probabilities, model.threshold, "holdout")

    baseline_config = config.model_copy(
        update={
            "model": config.model.model_copy(
                update={
                    "families": {
                        "logistic_regression": config.model.families["logistic_regression"]
                    }
                }
            )
        }
    )
    baseline_model = tune_and_fit.fn(baseline_config, split, None)
    baseline = evaluate(
        split.holdout_target,
        baseline_model.pipeline.predict_proba(split.holdout_features)[:, 1],
        baseline_model.threshold,
        "holdout",
    )

    report = {
        "split": f"stratified {1 - config.model.test_size:.0%}/{config.model.test_size:.0%}, "
        f"random_state {args.seed}; threshold chosen on {config.model.cv_folds}-fold CV",
        "rows_train": len(split.train_target),
        "rows_holdout": len(split.holdout_target),
        "roc_auc": round(result.roc_auc, 4),
        "pr_auc": round(result.pr_auc, 4),
        "brier": round(result.brier, 4),
        "lift_at_10": round(result.lift_at_10, 3),
        "f1_churn": round(result.f1_churn, 4),
        "threshold": round(model.threshold, 4),
        "cv_roc_auc_mean": round(model.cv_roc_auc_mean, 4),
        "fit_seconds": round(fit_seconds, 1),
        "model_family": model.family,
        "baseline": {
            "model_family": "logistic_regression",
            "roc_auc": round(baseline.roc_auc, 4),
            "pr_auc": round(baseline.pr_auc, 4),
            "brier": round(baseline.brier, 4),
            "lift_at_10": round(baseline.lift_at_10, 3),
            "f1_churn": round(baseline.f1_churn, 4),
            "threshold": round(baseline_model.threshold, 4),
        },
        "targets": {**TARGETS, "fit_seconds": MAX_FIT_SECONDS},
    }
    report["meets_targets"] = {
        "roc_auc": result.roc_auc >= TARGETS["roc_auc"],
        "brier": result.brier <= TARGETS["brier"],
        "lift_at_10": result.lift_at_10 >= TARGETS["lift_at_10"],
        "f1_churn": result.f1_churn >= TARGETS["f1_churn"],
        "fit_seconds": fit_seconds <= MAX_FIT_SECONDS,
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
