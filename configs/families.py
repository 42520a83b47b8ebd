"""The model families a run config may name, one line each. A family is its module
tasks/core/families/<name>.py (estimator, compiled scorer) plus its line here; training
searches them in this order, and `simplicity` (lower is simpler) gives the default order in
which the simplest family within one standard error of the best is kept."""

from __future__ import annotations

FAMILIES: dict[str, int] = {  # name: simplicity
    "logistic_regression": 1,
    "random_forest": 3,
    "lightgbm": 2,
    "blend": 4,  # searched last: it starts from the linear and boosted families' best
}
FAMILY_NAMES = tuple(FAMILIES)
SIMPLICITY_ORDER = sorted(FAMILIES, key=FAMILIES.__getitem__)
