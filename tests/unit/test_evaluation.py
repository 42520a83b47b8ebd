import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from tasks.core.evaluation import evaluate, lift_at


def test_lift_counts_churners_in_the_top_share():
    target = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1] * 10)
    scores = np.linspace(1, 0, 100)  # the first 10 rows score highest
    # top 10% = rows 0..9: 2 churners out of 10 -> 0.2 / overall 0.2 = 1.0
    assert lift_at(target, scores, 0.10) == pytest.approx(1.0)
    perfect = np.where(target == 1, 1.0, 0.0)
    assert lift_at(target, perfect, 0.10) == pytest.approx(5.0)


def test_evaluate_names_split_and_threshold():
    rng = np.random.default_rng(0)
    target = rng.integers(0, 2, 500)
    scores = np.clip(target * 0.3 + rng.random(500) * 0.7, 0, 1)
    result = evaluate(target, scores, 0.5, "holdout")
    assert result.split == "holdout" and result.threshold == 0.5
    assert result.roc_auc == pytest.approx(roc_auc_score(target, scores))
    predicted = scores >= 0.5
    assert result.true_positive == int(((target == 1) & predicted).sum())
    assert result.false_positive == int(((target == 0) & predicted).sum())
    assert result.metrics("holdout_")["holdout_threshold"] == 0.5


def test_evaluate_refuses_a_single_class_split():
    with pytest.raises(ValueError, match="only one class"):
        evaluate(np.zeros(10), np.linspace(0, 1, 10), 0.5, "holdout")
