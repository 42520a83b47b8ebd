"""Per-customer reasons: signed contributions of each model input, exact for the model family.

- logistic regression: coefficient x (value - training mean) per encoded column, in log-odds;
- LightGBM: path decomposition of every tree (Saabas), in log-odds: walking a tree from the
  root to the customer's leaf, each split moves the node value from the parent's
  `internal_value` to the child's (the leaf's `leaf_value` at the end), and that change is
  credited to the split's feature. The bias is the sum of the root values, so bias plus
  contributions is the sum of the leaf values, which is the booster's raw score (exactly up to
  float rounding, ~1e-13; tests/unit/test_explain.py checks it against `raw_score`). The leaves
  are found by the compiled walk of `tasks.core.treewalk` with LightGBM's own decision rule
  (tests check them against the booster's `pred_leaf`); per-leaf contribution tables are read
  once per booster from `dump_model` and summed in the same pass (trees in small groups, one
  table row per leaf combination of a group). Unlike TreeSHAP (`pred_contrib`) it credits
  each split to the feature tested there, which is what "this customer is here because of"
  means; models this cannot decompose exactly (linear trees, multiclass, averaged output)
  fall back to TreeSHAP;
- the log-odds blend: the same weighted sum of the two, so still exact;
- random forest: path decomposition of every tree (prediction = bias + contributions), in
  probability.
One-hot columns are folded back into the customer column they came from; engineered features
keep their own name. Contributions plus the bias reproduce the model's score exactly.

The encoding step (StandardScaler + OneHotEncoder in a ColumnTransformer) is replayed with
numpy when its settings allow (`_encode`): the same float operations in the same order, one-hot
by category lookup; anything else goes through `ColumnTransformer.transform`.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tasks.core import treewalk
from tasks.core.fastpath import TreeEnsemble, lightgbm_trees
from tasks.core.modeling import LogitBlend

_MAX_COMBINATIONS = 256  # leaf combinations per tree group in the gather table


@dataclass(frozen=True)
class Contributions:
    values: pd.DataFrame  # rows x input columns, signed
    bias: np.ndarray  # per row: the score with no feature information
    units: str  # "log-odds" or "probability"
    features: pd.DataFrame | None = None  # the engineered model inputs the values explain


def _source_matrix(encode: ColumnTransformer) -> tuple[np.ndarray, list[str]]:
    """Encoded column -> source column indicator matrix (encoded x sources)."""
    sources: list[str] = []
    owners: list[int] = []
    for name, transformer, columns in encode.transformers_:
        if name == "remainder" or transformer == "drop":
            continue
        if hasattr(transformer, "categories_"):
            for column, categories in zip(columns, transformer.categories_, strict=True):
                sources.append(column)
                owners.extend([len(sources) - 1] * len(categories))
        else:
            for column in columns:
                sources.append(column)
                owners.append(len(sources) - 1)
    matrix = np.zeros((len(owners), len(sources)))
    matrix[np.arange(len(owners)), owners] = 1.0
    return matrix, sources


# --- encoding ------------------------------------------------------------------------------


def _replayable(encode: ColumnTransformer) -> bool:
    """True when `_encode` reproduces `encode.transform` exactly (dense float64 output)."""
    if getattr(encode, "sparse_output_", True) or getattr(encode, "_sklearn_output_config", {}):
        return False
    for name, transformer, columns in encode.transformers_:
        if name == "remainder":
            if transformer != "drop":
                return False
            continue
        if transformer == "drop" or not isinstance(columns, list | tuple):
            return False
        if not all(isinstance(c, str) for c in columns):
            return False
        if type(transformer) is StandardScaler:
            continue
        if type(transformer) is not OneHotEncoder:
            return False
        if (
            transformer.drop is not None
            or transformer.handle_unknown != "ignore"
            or getattr(transformer, "_infrequent_enabled", True)
            or transformer.dtype not in (float, np.float64)
            or transformer.sparse_output
        ):
            return False
        for categories in transformer.categories_:
            if categories.dtype.kind not in "OUS" or pd.isna(categories).any():
                return False
    return True


def _encode(encode: ColumnTransformer, features: pd.DataFrame) -> np.ndarray:
    """`encode.transform(features)` as a float64 array, replayed with numpy when possible.

    StandardScaler: `x -= mean_; x /= scale_` on float64, as sklearn does in place. One-hot:
    the position of each value among `categories_` (hash lookup, as sklearn's own mapping;
    unknown and missing values match nothing, so their row stays all zeros as with
    handle_unknown="ignore"). Blocks in transformer order, like the ColumnTransformer."""
    if not _replayable(encode):
        return np.asarray(encode.transform(features), dtype=float)
    missing = [c for c in encode.feature_names_in_ if c not in features.columns]
    if missing:  # the error sklearn itself would raise
        raise ValueError(f"columns are missing: {set(missing)}")
    blocks: list[tuple[StandardScaler | OneHotEncoder, list[str], int]] = []
    width = 0
    for name, transformer, columns in encode.transformers_:
        if name == "remainder":
            continue
        size = (
            sum(len(c) for c in transformer.categories_)
            if isinstance(transformer, OneHotEncoder)
            else len(columns)
        )
        blocks.append((transformer, list(columns), width))
        width += size
    rows = len(features)
    out = np.zeros((rows, width))
    for transformer, columns, start in blocks:
        if isinstance(transformer, StandardScaler):
            values = np.array(features[columns], dtype=np.float64)
            if np.isinf(values).any():
                return np.asarray(encode.transform(features), dtype=float)  # sklearn's error
            if transformer.with_mean:
                values -= transformer.mean_
            if transformer.with_std:
                values /= transformer.scale_
            out[:, start : start + len(columns)] = values
            continue
        at = start
        for column, categories in zip(columns, transformer.categories_, strict=True):
            codes = pd.Index(categories).get_indexer(features[column].to_numpy(dtype=object))
            known = np.flatnonzero(codes >= 0)
            out[known, at + codes[known]] = 1.0
            at += len(categories)
    return out


# --- model families ------------------------------------------------------------------------


def _linear_sources(
    model: LogisticRegression, encoded: np.ndarray, center: np.ndarray, to_source: np.ndarray
):
    """Per source column: the sum of coef x (value - center) over its encoded columns, as one
    matrix product (encoded @ (coef x to_source) - (center x coef) @ to_source)."""
    coef = model.coef_[0]
    per_source = encoded @ (coef[:, None] * to_source)
    per_source -= (center * coef) @ to_source
    bias = np.full(len(encoded), model.intercept_[0] + center @ coef)
    return per_source, bias


@dataclass(frozen=True, eq=False)
class _PathTable:
    """Saabas tables of one binary booster, trees grouped `group` at a time.

    A group's leaf combination is sum(leaf_j * radix**j); `table` has one row per (group,
    combination): the summed per-encoded-column contributions of those leaves."""

    bias: float
    trees: TreeEnsemble
    group: int
    radix: int
    table: np.ndarray  # (groups * radix**group) x encoded columns
    folded_tables: dict = field(default_factory=dict)  # source matrix -> table on the sources

    def folded(self, to_source: np.ndarray) -> np.ndarray:
        key = (to_source.shape, to_source.tobytes())
        found = self.folded_tables.get(key)
        if found is None:
            found = np.ascontiguousarray(self.table @ to_source)
            self.folded_tables[key] = found
        return found


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def _path_table(booster, width: int) -> _PathTable | None:
    """The booster's Saabas tables (cached per booster), None if not exactly decomposable."""
    with _TABLES_LOCK:
        if booster in _TABLES:
            return _TABLES[booster]
    table = _build_path_table(booster.dump_model(), width)
    with _TABLES_LOCK:
        _TABLES[booster] = table
    return table


def _build_path_table(dump: dict, width: int) -> _PathTable | None:
    objective = str(dump.get("objective", "")).split()
    if (
        not objective
        or objective[0] != "binary"
        or dump.get("num_class", 1) != 1
        or dump.get("num_tree_per_iteration", 1) != 1
        or dump.get("average_output")
        or dump["max_feature_idx"] + 1 != width
    ):
        return None
    try:
        trees = lightgbm_trees(dump)
    except TypeError:  # categorical splits or linear trees
        return None
    infos = dump["tree_info"]
    radix = max(max(int(info["num_leaves"]) for info in infos), 2) if infos else 2
    per_tree = np.zeros((len(infos), radix, width))
    bias = 0.0
    for t, info in enumerate(infos):
        root = info["tree_structure"]
        if "leaf_value" in root:  # a single-leaf tree: a constant
            bias += float(root["leaf_value"])
            continue
        bias += float(root["internal_value"])
        stack = [(root, float(root["internal_value"]), [])]
        while stack:
            node, value, path = stack.pop()
            if "leaf_value" in node:
                leaf = int(node["leaf_index"])
                for feature, delta in path:
                    per_tree[t, leaf, feature] += delta
                continue
            feature = int(node["split_feature"])
            for side in ("left_child", "right_child"):
                child = node[side]
                child_value = float(
                    child["leaf_value"] if "leaf_value" in child else child["internal_value"]
                )
                stack.append((child, child_value, [*path, (feature, child_value - value)]))
    group = 1
    while radix ** (group + 1) <= _MAX_COMBINATIONS and group + 1 <= max(len(infos), 1):
        group += 1
    groups = -(-len(infos) // group) if infos else 0
    padded = np.zeros((groups * group, radix, width))
    padded[: len(infos)] = per_tree
    combos = radix**group
    digits = (np.arange(combos)[:, None] // radix ** np.arange(group)[None, :]) % radix
    table = np.zeros((groups, combos, width))
    for j in range(group):
        table += padded[j::group][:, digits[:, j], :]
    return _PathTable(
        bias=bias,
        trees=trees,
        group=group,
        radix=radix,
        table=table.reshape(groups * combos, width),
    )


def _lightgbm(model, encoded: np.ndarray, to_source: np.ndarray):
    """Per-source contributions and bias of a LightGBM model (log-odds)."""
    booster = model.booster_
    paths = _path_table(booster, encoded.shape[1])
    if paths is None:
        raw = booster.predict(encoded, pred_contrib=True)
        return raw[:, :-1] @ to_source, raw[:, -1]
    rows = np.ascontiguousarray(encoded, dtype=np.float64)
    # the leaves LightGBM's own predictor reaches (its dense-row reader zeroes |x| <= 1e-35f)
    nodes = paths.trees.nodes(small_as_zero=True)
    per_source = treewalk.grouped_sums(
        rows, *nodes, paths.trees.slot, paths.group, paths.radix, paths.folded(to_source)
    )
    return per_source, np.full(len(rows), paths.bias)


def _forest(model: RandomForestClassifier, encoded: np.ndarray):
    per_column = np.zeros(encoded.shape)
    bias = np.zeros(len(encoded))
    for tree in model.estimators_:
        structure = tree.tree_
        value = structure.value[:, 0, :]
        churn = value[:, 1] / value.sum(axis=1)
        parent = np.full(structure.node_count, -1)
        for side in (structure.children_left, structure.children_right):
            inner = side >= 0
            parent[side[inner]] = np.flatnonzero(inner)
        child = np.flatnonzero(parent >= 0)
        delta = sparse.csr_matrix(
            (churn[child] - churn[parent[child]], (child, structure.feature[parent[child]])),
            shape=(structure.node_count, encoded.shape[1]),
        )
        path = tree.decision_path(encoded.astype(np.float32))
        per_column += (path @ delta).toarray()
        bias += churn[0]
    count = len(model.estimators_)
    return per_column / count, bias / count


def contributions(pipeline: Pipeline, frame: pd.DataFrame, center: np.ndarray | None = None):
    """Signed per-input contributions for each row of `frame` (the raw typed customer columns).

    `center` is the mean encoded training row used as the linear baseline; it is stored on the
    pipeline at training time (`explain_center_`) and passed explicitly only in tests.
    """
    features = pipeline.named_steps["features"].transform(frame)
    encode = pipeline.named_steps["encode"]
    encoded = _encode(encode, features)
    model = pipeline.named_steps["model"]
    to_source, sources = _source_matrix(encode)
    if center is None:
        center = getattr(pipeline, "explain_center_", np.zeros(encoded.shape[1]))
    if isinstance(model, LogisticRegression):
        per_source, bias = _linear_sources(model, encoded, center, to_source)
        units = "log-odds"
    elif isinstance(model, LogitBlend):
        linear, linear_bias = _linear_sources(model.linear_, encoded, center, to_source)
        boosted, boosted_bias = _lightgbm(model.boosted_, encoded, to_source)
        per_source = model.weight * linear + (1 - model.weight) * boosted
        bias = model.weight * linear_bias + (1 - model.weight) * boosted_bias
        units = "log-odds"
    elif isinstance(model, RandomForestClassifier):
        per_column, bias = _forest(model, encoded)
        per_source = per_column @ to_source
        units = "probability"
    elif hasattr(model, "booster_"):
        per_source, bias = _lightgbm(model, encoded, to_source)
        units = "log-odds"
    else:
        raise TypeError(f"no exact explanation for model type {type(model).__name__}")
    values = pd.DataFrame(per_source, columns=sources, index=frame.index)
    return Contributions(
        values=values, bias=np.asarray(bias, dtype=float), units=units, features=features
    )


def prepare(pipeline: Pipeline) -> None:
    """Build what `contributions` needs once per model (LightGBM path tables) and load the
    compiled tree walk, so the first scored rows do not pay for either."""
    model = pipeline.named_steps["model"]
    boosted = getattr(model, "boosted_", model)
    if not hasattr(boosted, "booster_"):
        return
    to_source, _ = _source_matrix(pipeline.named_steps["encode"])
    width = to_source.shape[0]
    if _path_table(boosted.booster_, width) is not None:
        _lightgbm(boosted, np.zeros((0, width)), to_source)


def top_reasons(found: Contributions, frame: pd.DataFrame, top: int) -> list[list[dict]]:
    """The `top` largest contributions per row, signed, with the customer's own value."""
    values = found.values.to_numpy()
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    columns = found.values.columns
    reasons = []
    for row, picks in enumerate(order):
        customer = frame.iloc[row]
        reasons.append(
            [
                {
                    "feature": columns[j],
                    "value": _plain(customer[columns[j]]) if columns[j] in customer else None,
                    "contribution": round(float(values[row, j]), 6),
                    "direction": "raises churn risk" if values[row, j] > 0 else "lowers churn risk",
                }
                for j in picks
            ]
        )
    return reasons


def explain(pipeline: Pipeline, frame: pd.DataFrame, top: int) -> list[list[dict]]:
    """Top reasons per customer; the one explanation function for batch scoring and serving."""
    found = contributions(pipeline, frame)
    return top_reasons(found, found.features, top)


def _plain(value):
    return value.item() if hasattr(value, "item") else value
