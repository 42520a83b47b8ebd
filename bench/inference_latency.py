"""Single-customer latency: the logged sklearn pipeline against the model compiled from it.

Fits each model family, built as training builds it, on synthetic Telco customers (the
config's grid sizes: 300 trees), then times one request at a time: `pipeline.predict_proba`
on a prebuilt one-row DataFrame (building the frame is not counted) against
`CompiledModel.predict` on one record dict. Parity is the max |difference| of churn
probabilities over 5,000 other customers, for `predict` and for the probabilities the
contributions add up to. Prints one JSON object.

    python bench/inference_latency.py [--seed 42] [--pipeline-calls 200] [--compiled-calls 3000]
        [--train-rows 5000] [--parity-rows 5000] [--trees 300]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _estimators(seed: int, trees: int) -> dict:
    """Each family as training builds it (`modeling.base_estimator`), with fixed parameters
    instead of a search."""
    from tasks.core import modeling

    boosted = {"n_estimators": trees, "learning_rate": 0.02, "num_leaves": 16}
    params = {
        "logistic_regression": {"C": 0.3},
        "random_forest": {"n_estimators": trees, "max_depth": 12, "min_samples_leaf": 5},
        "lightgbm": boosted,
        "blend": {"weight": 0.5, "linear_params": {"C": 0.3}, "boosted_params": boosted},
    }
    return {
        family: modeling.base_estimator(family, seed).set_params(**values)
        for family, values in params.items()
    }


def _timings(call, inputs: list, calls: int) -> dict[str, float]:
    import numpy as np

    for item in inputs[:20]:  # warm-up
        call(item)
    spent = np.empty(calls)
    for i in range(calls):
        item = inputs[i % len(inputs)]
        started = time.perf_counter()
        call(item)
        spent[i] = time.perf_counter() - started
    micros = spent * 1e6
    return {
        "p50_us": round(float(np.percentile(micros, 50)), 1),
        "p99_us": round(float(np.percentile(micros, 99)), 1),
        "calls": calls,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42, help="data and model seed")
    parser.add_argument("--config", default=str(REPO / "configs" / "telco.yaml"))
    parser.add_argument("--pipeline-calls", type=int, default=200)
    parser.add_argument("--compiled-calls", type=int, default=3000)
    parser.add_argument("--train-rows", type=int, default=5000)
    parser.add_argument("--parity-rows", type=int, default=5000)
    parser.add_argument("--trees", type=int, default=300, help="per tree family")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    import numpy as np

    from configs.schema import load_config
    from data.generate import generate_customers
    from tasks.core import modeling
    from tasks.core.contract import validate_frame
    from tasks.core.inference import compile_model

    warnings.filterwarnings("ignore", message=".*feature names.*")
    warnings.filterwarnings("ignore", message="overflow encountered in exp")
    config = load_config(args.config)
    columns = config.dataset.feature_columns

    def customers(rows: int, seed: int):
        return validate_frame(generate_customers(rows, seed), config, "training").clean

    train = customers(args.train_rows, args.seed)
    target = modeling.churn_labels(train, config)
    scored = customers(args.parity_rows, args.seed + 1)[columns].reset_index(drop=True)
    records = scored.to_dict("records")
    one_row_frames = [scored.iloc[[i]] for i in range(min(200, len(scored)))]
    one_records = [[record] for record in records[:200]]

    families = {}
    for family, estimator in _estimators(args.seed, args.trees).items():
        started = time.perf_counter()
        pipeline = modeling.build_pipeline(config, estimator).fit(train[columns], target)
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        compiled = compile_model(pipeline)
        compile_seconds = time.perf_counter() - started

        expected = pipeline.predict_proba(scored)[:, 1]
        got = compiled.predict(records)
        explained = compiled.contributions(scored).scores()
        single = np.concatenate([compiled.predict(r) for r in one_records])
        pipeline_latency = _timings(pipeline.predict_proba, one_row_frames, args.pipeline_calls)
        compiled_latency = _timings(compiled.predict, one_records, args.compiled_calls)
        families[family] = {
            "pipeline_predict_proba": pipeline_latency,
            "compiled_predict": compiled_latency,
            "speedup_p50": round(pipeline_latency["p50_us"] / compiled_latency["p50_us"], 1),
            "max_abs_diff": float(np.max(np.abs(got - expected))),
            "max_abs_diff_contributions": float(np.max(np.abs(explained - expected))),
            "max_abs_diff_one_record_at_a_time": float(
                np.max(np.abs(single - expected[: len(single)]))
            ),
            "bit_identical_share": float(np.mean(got == expected)),
            "parity_rows": len(records),
            "fit_seconds": round(fit_seconds, 2),
            "compile_seconds": round(compile_seconds, 3),
            **({"trees": compiled.stats} if compiled.stats else {}),
        }
    print(
        json.dumps(
            {
                "seed": args.seed,
                "train_rows": len(train),
                "python": platform.python_version(),
                "numpy": np.__version__,
                "families": families,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
