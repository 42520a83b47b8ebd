"""Random forest: contributions in probability units, from its trees' paths."""

from __future__ import annotations

from sklearn.ensemble import RandomForestClassifier

from tasks.core import scorers
from tasks.core.encoding import unsupported
from tasks.core.families import PROBABILITY, ModelFamily
from tasks.core.trees import forest_trees, path_table


def _compile(model: RandomForestClassifier, encoder, center) -> scorers.Forest:
    if not hasattr(model, "estimators_"):
        raise unsupported("RandomForestClassifier is not fitted")
    if model.n_outputs_ != 1 or len(model.classes_) != 2:
        raise unsupported("RandomForestClassifier must be single-output binary")
    if model.n_features_in_ != encoder.width:
        raise unsupported(f"the forest reads {model.n_features_in_} inputs")
    return scorers.Forest(path_table(forest_trees(model), encoder.to_source))


FAMILY = ModelFamily(
    name="random_forest",
    estimator=lambda seed: RandomForestClassifier(random_state=seed, n_jobs=1),
    reads=lambda model: type(model) is RandomForestClassifier,
    compile=_compile,
    units=PROBABILITY,
)
