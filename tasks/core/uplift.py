"""Uplift: whose retention a contact changes, learned from a campaign with a random holdout.

The T-learner fits one churn-model pipeline (our families, `build_pipeline`) on the treated
customers and one on the holdout customers, each predicting "retained at the horizon";
a customer's uplift is P(retained | treated) - P(retained | holdout).

Evaluation on a held-out part of the campaign, customers ranked by predicted uplift (highest
first, ties kept in input order). For the top k of N customers, with n_t(k), n_h(k) treated
and holdout customers and r_t(k), r_h(k) of them retained:

- Qini curve: x = k / N against q(k) = (r_t(k) - r_h(k) n_t(k) / n_h(k)) / N (the second term
  0 while n_h(k) = 0): incremental customers retained, per customer of the evaluated part, if
  the top k were contacted. It runs from (0, 0) to (1, q(N)).
- Random targeting is the straight line from (0, 0) to (1, q(N)).
- Qini coefficient: the area between the Qini curve and the random line (trapezoids over x),
  in the curve's units; 0 for a ranking no better than chance, negative for a worse one.
- Uplift curve: u(k) = (r_t(k) / n_t(k) - r_h(k) / n_h(k)) k / N (0 while a group is empty);
  AUUC is the area under it (random targeting scores about u(N) / 2).
- Uplift at s: the treated minus holdout retention rate among the top ceil(s N) customers.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from configs.schema import RunConfig
from tasks.core.features import FeatureBuilder
from tasks.core.modeling import base_estimator, feature_layout

TOP_SHARES = (0.10, 0.20, 0.30)
# The churn score and its risk segment, when the customers carry them, are inputs too: whom a
# contact moves depends on how close a customer is to leaving.
SCORE_INPUTS = ("churn_probability", "risk_segment")
# LightGBM for uplift: small trees and many customers per leaf, since the uplift is the small
# difference of two fitted retention probabilities and overfitting either model swamps it.
LIGHTGBM_PARAMS = {
    "n_estimators": 200,
    "learning_rate": 0.03,
    "num_leaves": 8,
    "min_child_samples": 100,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.5,
    "reg_lambda": 5.0,
}


@dataclass(frozen=True)
class TLearner:
    """Two retention models: one fit on treated customers, one on holdout customers."""

    family: str
    inputs: tuple[str, ...]
    treated_model: Pipeline = field(repr=False)
    holdout_model: Pipeline = field(repr=False)

    def retention_probabilities(self, customers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """P(retained | treated) and P(retained | holdout) per customer."""
        features = customers[list(self.inputs)]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*feature names.*")
            treated = self.treated_model.predict_proba(features)[:, 1]
            holdout = self.holdout_model.predict_proba(features)[:, 1]
        return treated, holdout

    def predict_uplift(self, customers: pd.DataFrame) -> np.ndarray:
        treated, holdout = self.retention_probabilities(customers)
        return treated - holdout

    def predict(self, customers: pd.DataFrame) -> np.ndarray:
        """The uplift (what a logged model's pyfunc returns)."""
        return self.predict_uplift(customers)


@dataclass(frozen=True)
class UpliftEvaluation:
    """Figures of one uplift ranking on evaluated customers (see the module docstring)."""

    customers: int
    overall_lift: float  # treated minus holdout retention rate over all evaluated customers
    qini_coefficient: float
    auuc: float
    uplift_at: dict[float, float]  # share targeted -> uplift among the top share
    share: np.ndarray = field(repr=False)  # Qini curve x, from 0 to 1
    qini: np.ndarray = field(repr=False)  # Qini curve y


def _model_inputs(config: RunConfig, customers: pd.DataFrame) -> tuple[str, ...]:
    inputs = [*config.dataset.numeric, *config.dataset.categorical]
    missing = [c for c in inputs if c not in customers.columns]
    if missing:
        raise ValueError(f"customers lack model inputs: {missing}")
    return (*inputs, *(c for c in SCORE_INPUTS if c in customers.columns))


def uplift_pipeline(config: RunConfig, estimator: Any, inputs: Sequence[str]) -> Pipeline:
    """`modeling.build_pipeline` with the score inputs among `inputs` added to the encoding."""
    numeric, categorical = feature_layout(config)
    numeric += [c for c in SCORE_INPUTS[:1] if c in inputs]
    categorical += [c for c in SCORE_INPUTS[1:] if c in inputs]
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ],
        verbose_feature_names_out=True,
    )
    specs = [spec.model_dump() for spec in config.features]
    return Pipeline([("features", FeatureBuilder(specs)), ("encode", encode), ("model", estimator)])


def _estimator(family: str, seed: int, params: Mapping[str, Any] | None) -> Any:
    estimator = base_estimator(family, seed)
    chosen = dict(LIGHTGBM_PARAMS) if family == "lightgbm" and params is None else params
    return estimator.set_params(**chosen) if chosen else estimator


def fit_t_learner(
    config: RunConfig,
    customers: pd.DataFrame,
    treated: Any,
    retained: Any,
    family: str = "logistic_regression",
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
) -> TLearner:
    """Fit the two retention models on typed customers: the config's model inputs, plus
    churn_probability and risk_segment when present.

    `params` are estimator parameters (LightGBM defaults to LIGHTGBM_PARAMS). Each group needs
    both retained and lost customers. Same data and seed, same models."""
    treated = np.asarray(treated, dtype=bool)
    retained = np.asarray(retained, dtype=bool)
    if treated.shape != (len(customers),) or retained.shape != (len(customers),):
        raise ValueError("treated and retained need one value per customer")
    inputs = _model_inputs(config, customers)
    template = uplift_pipeline(config, _estimator(family, seed, params), inputs)
    models = []
    for group, name in ((treated, "treated"), (~treated, "holdout")):
        outcome = retained[group]
        if len(np.unique(outcome)) < 2:
            raise ValueError(f"the {name} group needs both retained and lost customers")
        model = clone(template)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*feature names.*")
            model.fit(customers.loc[group, list(inputs)], outcome.astype(int))
        models.append(model)
    return TLearner(family, inputs, models[0], models[1])


def qini_curve(
    scores: Any, treated: Any, retained: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share targeted, Qini curve and uplift curve (each with the origin first)."""
    scores = np.asarray(scores, dtype=float)
    treated = np.asarray(treated, dtype=bool)
    retained = np.asarray(retained, dtype=bool)
    n = len(scores)
    if n == 0 or treated.shape != (n,) or retained.shape != (n,):
        raise ValueError("scores, treated and retained need one value per customer")
    if np.isnan(scores).any():
        raise ValueError("uplift scores are missing for some customers")
    order = np.argsort(-scores, kind="stable")
    t, r = treated[order], retained[order]
    n_t = np.concatenate([[0], np.cumsum(t)]).astype(float)
    n_h = np.arange(n + 1) - n_t
    r_t = np.concatenate([[0], np.cumsum(t & r)]).astype(float)
    r_h = np.concatenate([[0], np.cumsum(~t & r)]).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(n_h > 0, r_h * n_t / n_h, 0.0)
        both = (n_t > 0) & (n_h > 0)
        rates = np.where(both, r_t / n_t - r_h / n_h, 0.0)
    share = np.arange(n + 1) / n
    return share, (r_t - scaled) / n, rates * share


def _area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


def uplift_at(scores: Any, treated: Any, retained: Any, share: float) -> float:
    """Treated minus holdout retention rate among the top `share` ranked customers."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    scores = np.asarray(scores, dtype=float)
    count = max(1, int(np.ceil(share * len(scores))))
    top = np.argsort(-scores, kind="stable")[:count]
    t, r = np.asarray(treated, dtype=bool)[top], np.asarray(retained, dtype=bool)[top]
    if t.all() or not t.any():
        return float("nan")
    return float(r[t].mean() - r[~t].mean())


def evaluate_uplift(
    scores: Any, treated: Any, retained: Any, shares: Sequence[float] = TOP_SHARES
) -> UpliftEvaluation:
    """Qini coefficient, AUUC and uplift at the top shares of one ranking."""
    share, qini, uplift = qini_curve(scores, treated, retained)
    treated = np.asarray(treated, dtype=bool)
    retained = np.asarray(retained, dtype=bool)
    if treated.all() or not treated.any():
        raise ValueError("evaluating uplift needs treated and holdout customers")
    return UpliftEvaluation(
        customers=len(treated),
        overall_lift=float(retained[treated].mean() - retained[~treated].mean()),
        qini_coefficient=_area(share, qini) - float(qini[-1]) / 2.0,
        auuc=_area(share, uplift),
        uplift_at={s: uplift_at(scores, treated, retained, s) for s in shares},
        share=share,
        qini=qini,
    )


def heldout_split(
    treated: Any, retained: Any, test_size: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the fitting and held-out parts, stratified on treated x retained."""
    treated = np.asarray(treated, dtype=bool)
    retained = np.asarray(retained, dtype=bool)
    strata = 2 * treated.astype(int) + retained.astype(int)
    rows = np.arange(len(treated))
    fit, held = train_test_split(rows, test_size=test_size, random_state=seed, stratify=strata)
    return np.sort(fit), np.sort(held)


def fit_and_evaluate(
    config: RunConfig,
    customers: pd.DataFrame,
    treated: Any,
    retained: Any,
    family: str = "logistic_regression",
    test_size: float = 0.3,
    seed: int = 0,
) -> tuple[TLearner, UpliftEvaluation]:
    """Fit the T-learner on one part of a campaign and evaluate it on the held-out rest."""
    treated = np.asarray(treated, dtype=bool)
    retained = np.asarray(retained, dtype=bool)
    fit, held = heldout_split(treated, retained, test_size, seed)
    learner = fit_t_learner(
        config, customers.iloc[fit], treated[fit], retained[fit], family=family, seed=seed
    )
    scores = learner.predict_uplift(customers.iloc[held])
    return learner, evaluate_uplift(scores, treated[held], retained[held])
