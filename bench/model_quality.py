"""Model quality on a churn table: the default training path against its baseline.

Trains with the default config (search, one-standard-error family choice, CV threshold) on a
stratified split and scores the holdout once. The baseline, measured in the same run on the
same split, is the logistic-regression family alone, tuned the same way (even when it is also
the chosen family). Every threshold is chosen on out-of-fold training predictions. Prints one
JSON object.

    python bench/model_quality.py [--data PATH] [--seed 42]      # one split
    python bench/model_quality.py [--data PATH] --seeds 0,1,2,3,4  # mean and std over splits

With --seeds, `meets_target` is: chosen mean holdout ROC-AUC >= baseline mean.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
METRICS = {"roc_auc": 4, "pr_auc": 4, "brier": 4, "lift_at_10": 3, "f1_churn": 4}


def _with_model(config, **update):
    return config.model_copy(update={"model": config.model.model_copy(update=update)})


def _scores(result) -> dict[str, float]:
    return {name: round(getattr(result, name), digits) for name, digits in METRICS.items()}


def _holdout(model, split):
    """Holdout figures at the model's threshold, from its compiled form (as the training flow
    evaluates: what batch scoring and serving use)."""
    from tasks.core.evaluation import evaluate

    probabilities = model.compiled.predict(split.holdout_features)
    return evaluate(split.holdout_target, probabilities, model.threshold, "holdout")


def run_split(config, clean, seed: int) -> dict:
    """Chosen model and baseline on the stratified split with this seed (split and CV)."""
    from tasks.core import modeling
    from tasks.services.models.training import fit_model

    config = _with_model(config, seed=seed)
    split = modeling.split_holdout(clean, config)

    started = time.perf_counter()
    model = fit_model(config, split, None)
    fit_seconds = time.perf_counter() - started
    result = _holdout(model, split)

    linear = {"logistic_regression": config.model.families["logistic_regression"]}
    baseline_model = fit_model(_with_model(config, families=linear), split, None)
    baseline = _holdout(baseline_model, split)
    report = {
        "split": f"stratified {1 - config.model.test_size:.0%}/{config.model.test_size:.0%}, "
        f"random_state {seed}; threshold chosen on {config.model.cv_folds}-fold "
        "out-of-fold training predictions",
        "rows_train": len(split.train_target),
        "rows_holdout": len(split.holdout_target),
        **_scores(result),
        "threshold": round(model.threshold, 4),
        "cv_roc_auc_mean": round(model.cv_roc_auc_mean, 4),
        "fit_seconds": round(fit_seconds, 1),
        "model_family": model.family,
        "model_choice_reason": model.choice.reason if model.choice else None,
        "baseline": {
            "model_family": "logistic_regression",
            **_scores(baseline),
            "threshold": round(baseline_model.threshold, 4),
            "cv_roc_auc_mean": round(baseline_model.cv_roc_auc_mean, 4),
        },
    }
    report["meets_target"] = bool(result.roc_auc >= baseline.roc_auc)
    return report


def _summary(per_split: list[dict]) -> dict:
    """Per metric: mean, sample std (ddof=1) and the per-split holdout values."""
    summary = {}
    for name, digits in METRICS.items():
        values = [s[name] for s in per_split]
        summary[name] = {
            "mean": round(statistics.fmean(values), digits + 1),
            "std": round(statistics.stdev(values), digits + 1) if len(values) > 1 else 0.0,
            "per_split": values,
        }
    return summary


def run_seeds(config, clean, seeds: list[int]) -> dict:
    runs = [run_split(config, clean, seed) for seed in seeds]
    chosen = _summary(runs)
    baseline = _summary([r["baseline"] for r in runs])
    return {
        "splits": f"stratified {1 - config.model.test_size:.0%}/{config.model.test_size:.0%}, "
        f"random_state {seeds} (the CV seed follows the split); each figure is a holdout "
        f"metric at that split's threshold, chosen on {config.model.cv_folds}-fold "
        "out-of-fold training predictions; std is the sample std over splits",
        "seeds": seeds,
        "chosen": {
            **chosen,
            "model_family_per_split": [r["model_family"] for r in runs],
            "threshold_per_split": [r["threshold"] for r in runs],
        },
        "baseline": {
            "model_family": "logistic_regression",
            **baseline,
            "threshold_per_split": [r["baseline"]["threshold"] for r in runs],
        },
        "per_split": runs,
        "target": "chosen mean holdout ROC-AUC >= baseline mean holdout ROC-AUC",
        "meets_target": bool(chosen["roc_auc"]["mean"] >= baseline["roc_auc"]["mean"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared/data/telco-customer-churn.csv"))
    parser.add_argument("--config", default=str(REPO / "configs" / "telco.yaml"))
    parser.add_argument("--seed", type=int, default=42, help="split and CV seed")
    parser.add_argument("--seeds", help="comma-separated split and CV seeds, e.g. 0,1,2,3,4")
    args = parser.parse_args()
    if not Path(args.data).is_file() and "://" not in args.data:
        print(json.dumps({"skipped": f"data not found: {args.data}"}))
        return 0

    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.adapters.sources import read_source
    from tasks.core.contract import validate_frame

    config = load_config(args.config)
    clean = validate_frame(read_source(args.data, settings=Settings()), config, "training").clean
    if args.seeds:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        report = run_seeds(config, clean, seeds)
    else:
        report = run_split(config, clean, args.seed)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
