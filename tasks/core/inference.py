"""The compiled model: one predict path for training, batch scoring and serving.

`compile_model(pipeline)` reads a fitted `build_pipeline` Pipeline once (FeatureBuilder ->
ColumnTransformer[StandardScaler, OneHotEncoder] -> estimator) into plain arrays. A batch (a
frame or a list of records) goes through the engineered features of `tasks.core.features`,
the encoder of `tasks.core.encoding`, then the family's numbers:

- logistic regression: `X @ coef_.T + intercept_`; contributions coef x (x - training mean)
  per encoded column, the bias being intercept + mean . coef (log-odds);
- LightGBM: the packed trees of `tasks.core.trees`, walked with LightGBM's decision rule
  (|x| <= 1e-35f read as 0, NaN by each node's missing type); the prediction sums the leaf
  values, the contributions their path tables (log-odds; a `sigmoid:` or averaged objective
  scales both);
- random forest: the same walk on X cast to float32 (as sklearn), the mean over trees of the
  leaves' churn share; contributions from the path tables (probability units);
- LogitBlend: the weighted sum of both, in log-odds.
Contributions are folded onto the source columns (a one-hot block onto its column) and, with
the bias, reproduce the score: sigmoid(bias + sum) for log-odds units, bias + sum otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from tasks.core import features as engineered
from tasks.core.columns import Columns
from tasks.core.encoding import Encoder, read_encoder, unsupported
from tasks.core.families import FAMILIES, LOG_ODDS, ModelFamily, family_of
from tasks.core.scorers import Blend, Boosted, Forest, Linear
from tasks.core.trees import rows


@dataclass(frozen=True)
class Contributions:
    values: pd.DataFrame  # rows x source columns, signed
    bias: np.ndarray  # per row: the score with no feature information
    units: str  # LOG_ODDS or PROBABILITY
    features: pd.DataFrame | None = None  # the model inputs the values explain, engineered too

    def scores(self) -> np.ndarray:
        """The churn probability the contributions add up to."""
        total = self.values.to_numpy().sum(axis=1) + self.bias
        return expit(total) if self.units == LOG_ODDS else np.clip(total, 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A fitted pipeline as arrays: raw customer columns in, churn probabilities out."""

    family: str
    inputs: tuple[str, ...]  # raw columns a batch must carry
    numeric_inputs: frozenset[str]  # raw columns the pipeline reads as float64
    specs: tuple[dict[str, Any], ...]  # engineered features, as FeatureBuilder.specs
    encoder: Encoder
    scorer: Linear | Boosted | Forest | Blend
    units: str
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def sources(self) -> tuple[str, ...]:
        return self.encoder.sources

    def columns(self, batch: pd.DataFrame | Sequence[Mapping[str, Any]]) -> Columns:
        """The batch's columns with the engineered features added."""
        if isinstance(batch, pd.DataFrame):
            missing = [c for c in self.inputs if c not in batch.columns]
            cols = Columns.of_frame(batch)
        else:
            missing = [c for c in self.inputs if batch and c not in batch[0]]
            cols = Columns.of_records(batch, self.numeric_inputs)
        if missing:
            raise KeyError(f"the batch lacks input columns {missing}")
        engineered.engineer(cols, self.specs)
        return cols

    def encode(self, batch: pd.DataFrame | Sequence[Mapping[str, Any]]) -> np.ndarray:
        return self.encoder.encode(self.columns(batch))

    def predict(self, batch: pd.DataFrame | Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Churn probability per row (a frame) or per record (dicts)."""
        if len(batch) == 0:
            return np.empty(0, dtype=np.float64)
        return self.predict_encoded(self.encode(batch))

    def predict_encoded(self, encoded: np.ndarray) -> np.ndarray:
        encoded = self._checked(encoded)
        scorer = self.scorer
        if isinstance(scorer, Forest):
            return scorer.proba(encoded)
        with np.errstate(over="ignore"):
            if isinstance(scorer, Blend):
                return 1.0 / (1.0 + np.exp(-scorer.decision(encoded)))  # as LogitBlend
            return expit(scorer.decision(encoded))  # as sklearn and LightGBM

    def contributions(self, batch: pd.DataFrame | Sequence[Mapping[str, Any]]) -> Contributions:
        """Signed contributions per source column with the bias, and the engineered inputs."""
        cols = self.columns(batch)
        values, bias = self.contributions_encoded(self.encoder.encode(cols))
        frame = pd.DataFrame(values, columns=list(self.sources), index=cols.index)
        return Contributions(frame, bias, self.units, cols.frame(self.inputs))

    def column_contributions(
        self, batch: pd.DataFrame | Sequence[Mapping[str, Any]]
    ) -> Contributions:
        """The contributions by business column (`fold_engineered`): what reasons read."""
        return fold_engineered(self.contributions(batch), self.specs)

    def contributions_encoded(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.scorer.explain(self._checked(encoded))

    def _checked(self, encoded: np.ndarray) -> np.ndarray:
        encoded = np.asarray(encoded, dtype=np.float64)
        if encoded.ndim != 2 or encoded.shape[1] != self.encoder.width:
            raise ValueError(f"expected an (n, {self.encoder.width}) matrix, got {encoded.shape}")
        return rows(encoded)

    def warm_up(self) -> None:
        """Load (or compile, the first time) the tree walks, so no request pays for it."""
        zeros = np.zeros((1, self.encoder.width))
        self.predict_encoded(zeros)
        self.contributions_encoded(zeros)


def single_sources(specs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Engineered features computed from one input column only -> that column (log tenure,
    tenure band -> tenure); features of several columns are left out."""
    found = engineered.feature_sources([dict(spec) for spec in specs])
    return {name: sources[0] for name, sources in found.items() if len(sources) == 1}


def fold_engineered(found: Contributions, specs: Sequence[Mapping[str, Any]]) -> Contributions:
    """The contributions with each engineered feature of one column added to that column's
    (a sum: still contributions to the same score, the bias unchanged). Features of several
    columns stay as they are. The columns keep their order, folded ones dropped."""
    columns = list(found.values.columns)
    onto = {k: v for k, v in single_sources(specs).items() if k in columns}
    if not onto:
        return found
    table = found.values.to_numpy()
    folded: dict[str, np.ndarray] = {}  # business column -> summed contributions, in order
    for j, name in enumerate(columns):
        target = onto.get(name, name)
        folded[target] = folded[target] + table[:, j] if target in folded else table[:, j]
    values = pd.DataFrame(folded, index=found.values.index)
    return Contributions(values, found.bias, found.units, found.features)


def compile_model(pipeline: Any) -> CompiledModel:
    """Read a fitted `build_pipeline` Pipeline; TypeError for anything not reproduced exactly.

    The linear baseline is the pipeline's `explain_center_` (the mean encoded training row,
    set at training time), zeros without it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 3:
        raise unsupported(f"expected Pipeline[features, encode, model], got {pipeline!r:.80}")
    (_, builder), (_, encode), (_, model) = pipeline.steps
    if type(builder) is not engineered.FeatureBuilder:
        raise unsupported(f"first step must be FeatureBuilder, got {type(builder).__name__}")
    if not isinstance(encode, ColumnTransformer):
        raise unsupported(f"second step must be ColumnTransformer, got {type(encode).__name__}")
    if not hasattr(builder, "feature_names_in_") or not hasattr(encode, "transformers_"):
        raise unsupported("the pipeline is not fitted")
    specs = tuple(dict(spec) for spec in builder.specs)
    for spec in specs:
        if spec.get("kind") not in engineered.KINDS:
            raise unsupported(f"unknown engineered feature kind {spec.get('kind')!r}")
    inputs = tuple(str(c) for c in builder.feature_names_in_)
    encoder = read_encoder(encode)
    center = getattr(pipeline, "explain_center_", None)
    center = np.zeros(encoder.width) if center is None else np.asarray(center, dtype=np.float64)
    scorer, family = _scorer(model, encoder, center)
    numeric_inputs = frozenset(c for c in encoder.scaled if c in inputs)
    trees = getattr(getattr(scorer, "boosted", scorer), "paths", None)
    return CompiledModel(
        family=family.name,
        inputs=inputs,
        numeric_inputs=numeric_inputs,
        specs=specs,
        encoder=encoder,
        scorer=scorer,
        units=family.units,
        stats=trees.trees.stats if trees is not None else {},
    )


def _scorer(model: Any, encoder: Encoder, center: np.ndarray) -> tuple[Any, ModelFamily]:
    family = family_of(model)
    if family is None:
        names = ", ".join(FAMILIES)
        raise unsupported(f"model {type(model).__name__} is of no model family ({names})")
    return family.compile(model, encoder, center), family
