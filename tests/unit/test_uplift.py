"""T-learner uplift and its Qini evaluation on simulated campaigns."""

import numpy as np
import pytest

from data.campaigns import NO_UPLIFT, simulate_campaign
from tasks.core.uplift import (
    evaluate_uplift,
    fit_and_evaluate,
    fit_t_learner,
    heldout_split,
    qini_curve,
)
from tests.unit.campaign_data import config, scored_customers

ROWS = 20000


def _campaign(parameters=None):
    customers = scored_customers(ROWS, 7)
    treated = np.random.default_rng(21).random(ROWS) < 0.5
    extra = {} if parameters is None else {"parameters": parameters}
    events = simulate_campaign(customers, treated, seed=3, **extra).events
    return customers, events["treated"].to_numpy(), events["retained"].to_numpy()


def test_qini_curve_by_hand():
    scores = [0.9, 0.8, 0.7, 0.6]
    treated = [True, False, True, False]
    retained = [True, False, True, True]
    share, qini, uplift = qini_curve(scores, treated, retained)
    assert share.tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    # k=1: 1 - 0; k=2: 1 - 0*1/1; k=3: 2 - 0*2/1; k=4: 2 - 1*2/2; all over N = 4
    assert qini.tolist() == pytest.approx([0, 0.25, 0.25, 0.5, 0.25])
    assert uplift.tolist() == pytest.approx([0, 0, 0.5, 0.75, 0.5])
    found = evaluate_uplift(scores, treated, retained, shares=(0.5,))
    area = (0.25 / 2 + 0.25 + 0.375 + 0.375) * 0.25
    assert found.qini_coefficient == pytest.approx(area - 0.25 / 2)
    assert found.uplift_at == {0.5: pytest.approx(1.0)}
    assert found.overall_lift == pytest.approx(0.5)


@pytest.fixture(scope="module")
def uplift_case():
    customers, treated, retained = _campaign()
    _, found = fit_and_evaluate(config(), customers, treated, retained, test_size=0.5)
    _, held = heldout_split(treated, retained, 0.5, 0)
    risk = evaluate_uplift(
        customers["churn_probability"].to_numpy()[held], treated[held], retained[held]
    )
    chance = np.random.default_rng(5).random(len(held))
    random = evaluate_uplift(chance, treated[held], retained[held])
    return found, risk, random


def test_uplift_model_beats_random_and_risk_ranked_targeting(uplift_case):
    found, risk, random = uplift_case
    assert found.qini_coefficient > 0.005
    assert found.qini_coefficient > random.qini_coefficient + 0.005
    assert found.qini_coefficient > risk.qini_coefficient
    assert found.uplift_at[0.2] > risk.uplift_at[0.2] + 0.03
    assert found.uplift_at[0.1] > found.overall_lift


def test_no_uplift_anywhere_gives_a_qini_near_zero(uplift_case):
    customers, treated, retained = _campaign(NO_UPLIFT)
    _, found = fit_and_evaluate(config(), customers, treated, retained, test_size=0.5)
    assert abs(found.qini_coefficient) < 0.003
    assert abs(found.qini_coefficient) < uplift_case[0].qini_coefficient / 3


def test_t_learner_is_deterministic_and_checks_its_groups():
    customers, treated, retained = _campaign()
    part = slice(0, 3000)
    args = (config(), customers.iloc[part], treated[part], retained[part])
    first = fit_t_learner(*args, family="lightgbm", seed=4).predict_uplift(customers.iloc[:50])
    second = fit_t_learner(*args, family="lightgbm", seed=4).predict_uplift(customers.iloc[:50])
    assert np.array_equal(first, second)
    with pytest.raises(ValueError, match="both retained and lost"):
        fit_t_learner(config(), customers.iloc[part], treated[part], np.ones(3000, dtype=bool))
