"""The one-standard-error rule that picks the model family from per-fold CV ROC-AUC."""

import math
import statistics

import pytest

from configs.schema import Model
from tasks.core.modeling import choose_family

ORDER = ["logistic_regression", "lightgbm", "random_forest", "blend"]

# Five folds with mean 0.850 and sample std 0.0079: standard error 0.0035.
BEST_FOLDS = [0.850 + d for d in (-0.01, -0.005, 0.0, 0.005, 0.01)]


def _shifted(folds, delta):
    return [s + delta for s in folds]


def test_standard_error_and_threshold_come_from_the_best_family():
    choice = choose_family({"blend": BEST_FOLDS, "logistic_regression": [0.80] * 5}, ORDER)
    assert choice.best_family == "blend"
    expected = statistics.stdev(BEST_FOLDS) / math.sqrt(5)
    assert math.isclose(choice.standard_error, expected)
    assert math.isclose(expected, 0.0035355, rel_tol=1e-4)
    assert math.isclose(choice.threshold, 0.850 - choice.standard_error)


def test_within_noise_picks_the_simpler_family():
    scores = {
        "logistic_regression": _shifted(BEST_FOLDS, -0.003),
        "lightgbm": _shifted(BEST_FOLDS, -0.001),
        "blend": BEST_FOLDS,
    }
    choice = choose_family(scores, ORDER)
    assert choice.family == "logistic_regression"
    assert choice.best_family == "blend"
    assert "within one standard error" in choice.reason
    assert "logistic_regression" in choice.reason and "blend" in choice.reason
    assert "\n" not in choice.reason


def test_clear_winner_beats_the_simpler_family():
    scores = {
        "logistic_regression": _shifted(BEST_FOLDS, -0.12),
        "lightgbm": BEST_FOLDS,
    }
    choice = choose_family(scores, ORDER)
    assert choice.family == choice.best_family == "lightgbm"
    assert "no simpler family" in choice.reason


def test_only_the_simplest_qualifying_family_is_kept():
    scores = {
        "logistic_regression": _shifted(BEST_FOLDS, -0.02),  # outside the noise
        "lightgbm": _shifted(BEST_FOLDS, -0.002),  # inside
        "random_forest": _shifted(BEST_FOLDS, -0.001),  # inside, but less simple
        "blend": BEST_FOLDS,
    }
    assert choose_family(scores, ORDER).family == "lightgbm"


def test_ties_go_to_the_simpler_family():
    scores = {"blend": BEST_FOLDS, "lightgbm": list(BEST_FOLDS)}
    choice = choose_family(scores, ORDER)
    assert choice.family == choice.best_family == "lightgbm"
    zero_noise = {"random_forest": [0.84] * 5, "lightgbm": [0.84] * 5}
    choice = choose_family(zero_noise, ORDER)
    assert choice.family == "lightgbm"
    assert choice.standard_error == pytest.approx(0.0, abs=1e-12)


def test_the_order_decides_not_the_mapping():
    scores = {"logistic_regression": _shifted(BEST_FOLDS, -0.001), "lightgbm": BEST_FOLDS}
    assert choose_family(scores, ["lightgbm", "logistic_regression"]).family == "lightgbm"


def test_families_missing_from_the_order_rank_last_in_mapping_order():
    scores = {
        "random_forest": _shifted(BEST_FOLDS, -0.001),
        "blend": _shifted(BEST_FOLDS, -0.002),
        "lightgbm": BEST_FOLDS,
    }
    assert choose_family(scores, ["lightgbm"]).family == "lightgbm"
    scores["lightgbm"] = _shifted(BEST_FOLDS, -0.05)
    assert choose_family(scores, ["lightgbm"]).family == "random_forest"
    assert choose_family(scores, []).family == "random_forest"
    assert choose_family(dict(reversed(scores.items())), []).family == "blend"


def test_a_single_family_is_chosen_with_its_reason():
    choice = choose_family({"random_forest": BEST_FOLDS}, ORDER)
    assert choice.family == choice.best_family == "random_forest"
    assert "only family" in choice.reason
    single_fold = choose_family({"lightgbm": [0.83]}, ORDER)
    assert single_fold.family == "lightgbm" and single_fold.standard_error == 0.0


def test_no_family_is_an_error():
    with pytest.raises(ValueError, match="no family"):
        choose_family({}, ORDER)


def test_default_order_matches_the_config_schema():
    assert Model(families={"lightgbm": {}}).simplicity_order == ORDER
