"""A lean single-customer predictor compiled from a fitted model pipeline.

`compile_pipeline` reads a fitted `build_pipeline` Pipeline once (FeatureBuilder ->
ColumnTransformer[StandardScaler, OneHotEncoder] -> estimator) and returns a `FastModel`: plain
numpy arrays and small dicts, no sklearn/lightgbm/pandas objects. Scoring a request is numpy,
the standard library and the compiled tree walk of `tasks.core.treewalk`, and reproduces
`pipeline.predict_proba(frame)[:, 1]` to the last bit or within a few ulps (see
tests/unit/test_fastpath.py):

- engineered features: the semantics of tasks/core/features.py on numpy columns (division by
  zero falls back, bins are clipped and right-open, text comparisons use pandas' `astype(str)`);
- scaling: `(x - mean_) / scale_` exactly as StandardScaler.transform does it;
- one-hot: `categories_` lookup, unknown category -> all zeros (handle_unknown="ignore");
- logistic regression: `X @ coef_.T + intercept_`, then scipy's expit `1 / (1 + exp(-z))`;
- LightGBM: every tree packed into flat node arrays, walked by the compiled kernel; values
  with |x| <= 1e-35f are read as 0 and NaN follows each node's missing type, as in LightGBM's
  C++ predictor; leaf values summed in tree order, then `1 / (1 + exp(-sigmoid * raw))`;
- random forest: the same walk on sklearn's `tree_` arrays with X cast to float32 first (sklearn
  compares float32 features with float64 thresholds), NaN goes `missing_go_to_left`; per-tree
  churn proportions summed in tree order and divided by the number of trees;
- LogitBlend: `weight * linear + (1 - weight) * boosted raw score`, then its own sigmoid.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from tasks.core import treewalk

#: LightGBM's kZeroThreshold: a double initialised from the float literal 1e-35f.
LIGHTGBM_ZERO = treewalk.ZERO
_NONE, _ZERO, _NAN = 0, 1, 2  # per-node missing-value handling
_MISSING_TYPES = {"None": _NONE, "Zero": _ZERO, "NaN": _NAN}
_NUMERIC_KINDS = frozenset({"ratio", "count_equal", "log1p", "flag", "difference", "product"})
_TEXT_KINDS = frozenset({"bins"})


# --------------------------------------------------------------------------------------------
# Columns of one request
# --------------------------------------------------------------------------------------------


class Columns:
    """The columns of one batch: raw inputs converted on demand, engineered ones added.

    Numbers are float64 arrays (pandas `astype(float)`); texts are lists of str (pandas
    `astype(str)`: a float64 column prints with `str(float)`, None prints as 'None').
    """

    __slots__ = ("_numeric_raw", "_raw", "numbers", "texts")

    def __init__(self, raw: Callable[[str], Sequence[Any]], numeric_raw: frozenset[str]):
        self._raw = raw
        self._numeric_raw = numeric_raw
        self.numbers: dict[str, np.ndarray] = {}
        self.texts: dict[str, list[str]] = {}

    def number(self, name: str) -> np.ndarray:
        values = self.numbers.get(name)
        if values is None:
            source = self.texts[name] if name in self.texts else self._raw(name)
            values = np.array(source, dtype=np.float64)
            self.numbers[name] = values
        return values

    def text(self, name: str) -> list[str]:
        values = self.texts.get(name)
        if values is None:
            if name in self.numbers or name in self._numeric_raw:
                values = [str(v) for v in self.number(name).tolist()]
            else:
                values = [v if isinstance(v, str) else str(v) for v in self._raw(name)]
            self.texts[name] = values
        return values

    def category(self, name: str) -> Sequence[Any]:
        """What OneHotEncoder sees: raw values as given, engineered labels as text."""
        return self.texts[name] if name in self.texts else self._raw(name)


def _ratio(cols: Columns, spec: Mapping[str, Any]) -> np.ndarray:
    numerator = cols.number(spec["numerator"])
    denominator = cols.number(spec["denominator"])
    if spec.get("fallback"):
        out = np.array(cols.number(spec["fallback"]), dtype=np.float64)
    else:
        out = np.zeros(len(denominator))
    # numerator / denominator where the denominator is not zero (NaN included), else fallback
    return np.divide(numerator, denominator, out=out, where=denominator != 0)


def _count_equal(cols: Columns, spec: Mapping[str, Any]) -> np.ndarray:
    value = spec["value"]
    columns = [cols.text(name) for name in spec["columns"]]
    return np.array([float(sum(t == value for t in row)) for row in zip(*columns, strict=True)])


def _bin_labels(edges: Sequence[float]) -> list[str]:
    return [f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)]  # as tasks/core/features.py


def _bins(cols: Columns, spec: Mapping[str, Any]) -> list[str]:
    edges = [float(e) for e in spec["edges"]]
    labels = _bin_labels(edges)
    top, last = edges[-1], len(labels) - 1
    # pd.cut(right=False) after clipping to the edges: [lo, hi), values below the first edge in
    # the first bin; the top edge and above, and NaN (not < top edge), take the last label
    return [
        labels[max(bisect_right(edges, v) - 1, 0)] if v < top else labels[last]
        for v in cols.number(spec["column"]).tolist()
    ]


def _log1p(cols: Columns, spec: Mapping[str, Any]) -> np.ndarray:
    values = cols.number(spec["column"])
    # Series.clip(lower=0): negatives -> 0, NaN and -0.0 kept; contiguous like pandas' array
    return np.log1p(np.ascontiguousarray(np.where(values < 0, 0.0, values)))


def _flag(cols: Columns, spec: Mapping[str, Any]) -> np.ndarray:
    value = spec["value"]
    return np.array([1.0 if t == value else 0.0 for t in cols.text(spec["column"])])


def _difference(cols: Columns, spec: Mapping[str, Any]) -> np.ndarray:
    return cols.number(spec["left"]) - cols.number(spec["right"])


def _product(cols: Columns, spec: Mapping[str, Any]) -> np.ndarray:
    return cols.number(spec["left"]) * cols.number(spec["right"])


_FEATURES: dict[str, Callable[[Columns, Mapping[str, Any]], Any]] = {
    "ratio": _ratio,
    "count_equal": _count_equal,
    "bins": _bins,
    "log1p": _log1p,
    "flag": _flag,
    "difference": _difference,
    "product": _product,
}


def engineer(cols: Columns, specs: Sequence[Mapping[str, Any]]) -> None:
    """Add each engineered feature in declaration order (later ones may use earlier ones)."""
    for spec in specs:
        value = _FEATURES[spec["kind"]](cols, spec)
        if spec["kind"] in _TEXT_KINDS:
            cols.texts[spec["name"]] = value
            cols.numbers.pop(spec["name"], None)
        else:
            cols.numbers[spec["name"]] = value
            cols.texts.pop(spec["name"], None)


# --------------------------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------------------------


def _libm_sigmoid(z: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """1 / (1 + exp(-scale * z)) with the C library's exp, like scipy.special.expit and
    LightGBM's C++ (numpy's SIMD exp may differ from libm's in the last bit)."""
    out = []
    for value in z.tolist():
        try:
            out.append(1.0 / (1.0 + math.exp(-scale * value)))
        except OverflowError:  # exp overflows to inf in C
            out.append(0.0)
    return np.array(out, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class LinearScorer:
    """Binary logistic regression: decision = X @ coef_.T + intercept_."""

    coef: np.ndarray  # (width, 1), coef_.T
    intercept: np.ndarray  # (1,)

    def decision(self, encoded: np.ndarray) -> np.ndarray:
        if not np.isfinite(encoded).all():  # sklearn's check_array refuses NaN and inf
            raise ValueError("Input X contains NaN or infinity (LogisticRegression)")
        return (encoded @ self.coef + self.intercept).reshape(-1)

    def proba(self, encoded: np.ndarray) -> np.ndarray:
        return _libm_sigmoid(self.decision(encoded))


@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    """Trees packed into flat node arrays; a leaf points to itself on both sides. Walked by the
    compiled kernels of `tasks.core.treewalk` (LightGBM's decision rule, sums in tree order)."""

    feature: np.ndarray  # intp, 0 at leaves
    threshold: np.ndarray  # float64
    left: np.ndarray  # intp, global node index
    right: np.ndarray  # intp
    default_left: np.ndarray  # bool: where missing values go
    missing: np.ndarray  # int8: _NONE / _ZERO / _NAN
    value: np.ndarray  # float64 leaf output (0 at inner nodes)
    slot: np.ndarray  # intp: a leaf's number in its own tree (LightGBM's leaf_index), 0 inside
    roots: np.ndarray  # intp, one per tree
    depth: int  # longest root-to-leaf path

    def nodes(self, small_as_zero: bool) -> tuple:
        """The arguments the kernels take after the rows."""
        zero_nodes = bool((self.missing == _ZERO).any())
        return (
            self.roots, self.depth, zero_nodes, self.feature, self.threshold, self.left,
            self.right, self.default_left, self.missing, small_as_zero,
        )  # fmt: skip

    def leaves(self, x: np.ndarray, small_as_zero: bool = False) -> np.ndarray:
        """Leaf node index per (row, tree) for the model input rows `x` (n, width)."""
        return treewalk.leaves(_rows(x), *self.nodes(small_as_zero))

    def total(self, x: np.ndarray, small_as_zero: bool = False) -> np.ndarray:
        """Sum of leaf values over trees, accumulated in tree order."""
        return treewalk.totals(_rows(x), *self.nodes(small_as_zero), self.value)


def _rows(x: np.ndarray) -> np.ndarray:
    """C-ordered float rows, as the kernels take them (float32 stays float32)."""
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    return np.ascontiguousarray(x)


@dataclass(frozen=True, eq=False)
class BoostedScorer:
    """LightGBM binary booster: raw score = sum of tree outputs; p = sigmoid(raw)."""

    trees: TreeEnsemble
    sigmoid: float
    average_over: int  # > 0 for boosting_type="rf" (average_output)

    def decision(self, encoded: np.ndarray) -> np.ndarray:
        # LightGBM's dense-row reader keeps only |x| > kZeroThreshold (or NaN): the rest is 0
        raw = self.trees.total(encoded, small_as_zero=True)
        return raw / self.average_over if self.average_over else raw

    def proba(self, encoded: np.ndarray) -> np.ndarray:
        return _libm_sigmoid(self.decision(encoded), self.sigmoid)


@dataclass(frozen=True, eq=False)
class ForestScorer:
    """sklearn random forest: mean over trees of the leaf's churn proportion."""

    trees: TreeEnsemble

    def proba(self, encoded: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            x = encoded.astype(np.float32)  # sklearn validates X as float32 before the trees
        if np.isinf(x).any():  # ... and refuses inf (NaN is allowed: missing_go_to_left)
            raise ValueError("Input X contains infinity or a value too large for float32")
        return self.trees.total(x) / len(self.trees.roots)


@dataclass(frozen=True, eq=False)
class BlendScorer:
    """LogitBlend: weighted log-odds of the linear model and the booster's raw score."""

    weight: float
    linear: LinearScorer
    boosted: BoostedScorer

    def proba(self, encoded: np.ndarray) -> np.ndarray:
        z = self.weight * self.linear.decision(encoded) + (1.0 - self.weight) * (
            self.boosted.decision(encoded)
        )
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))  # numpy's exp, as LogitBlend.predict_proba


# --------------------------------------------------------------------------------------------
# The compiled model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OneHotBlock:
    column: str
    offset: int
    index: dict[str, int]


@dataclass(frozen=True, eq=False)
class FastModel:
    """A fitted pipeline as plain arrays: raw customer records in, churn probabilities out."""

    family: str
    inputs: tuple[str, ...]  # raw columns a record must carry
    numeric_inputs: frozenset[str]  # raw columns the pipeline sees as float64
    specs: tuple[dict[str, Any], ...]  # engineered features, as FeatureBuilder.specs
    scaled: tuple[str, ...]  # StandardScaler columns, in order
    scaled_at: slice
    mean: np.ndarray
    scale: np.ndarray
    onehot: tuple[OneHotBlock, ...]
    width: int  # model input columns
    scorer: LinearScorer | BoostedScorer | ForestScorer | BlendScorer
    stats: dict[str, Any] = field(default_factory=dict)

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Churn probability per record (raw column -> float for numbers, str for categories)."""
        if not records:
            return np.empty(0, dtype=np.float64)
        missing = [c for c in self.inputs if c not in records[0]]
        if missing:
            raise KeyError(f"record lacks input columns {missing}")
        return self.predict_encoded(self.encode(lambda name: [r[name] for r in records]))

    def predict_frame(self, frame: Any) -> np.ndarray:
        """Churn probability per row of a DataFrame with the raw input columns (batches)."""
        if len(frame) == 0:
            return np.empty(0, dtype=np.float64)
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise KeyError(f"frame lacks input columns {missing}")
        return self.predict_encoded(self.encode(lambda name: frame[name].to_numpy()))

    def encode(self, raw: Callable[[str], Sequence[Any]]) -> np.ndarray:
        """The model input matrix (n, width) for raw columns given by `raw(name)`."""
        cols = Columns(raw, self.numeric_inputs)
        engineer(cols, self.specs)
        numbers = [cols.number(name) for name in self.scaled]
        n = len(numbers[0]) if numbers else len(cols.category(self.onehot[0].column))
        encoded = np.zeros((n, self.width), dtype=np.float64)
        if numbers:
            encoded[:, self.scaled_at] = (np.array(numbers).T - self.mean) / self.scale
        for block in self.onehot:
            for row, value in enumerate(cols.category(block.column)):
                hit = block.index.get(value) if isinstance(value, str) else None
                if hit is not None:
                    encoded[row, block.offset + hit] = 1.0
        return encoded

    def warm_up(self) -> None:
        """Load (or compile, the first time) the tree walk, so no request pays for it."""
        self.predict_encoded(np.zeros((1, self.width)))

    def predict_encoded(self, encoded: np.ndarray) -> np.ndarray:
        """Churn probability per row of an already encoded model input matrix."""
        encoded = np.asarray(encoded, dtype=np.float64)
        if encoded.ndim != 2 or encoded.shape[1] != self.width:
            raise ValueError(f"expected an (n, {self.width}) matrix, got {encoded.shape}")
        return self.scorer.proba(encoded)


# --------------------------------------------------------------------------------------------
# Compiling (sklearn / lightgbm touched only here)
# --------------------------------------------------------------------------------------------


def _unsupported(message: str) -> TypeError:
    return TypeError(f"compile_pipeline: {message}")


def compile_pipeline(pipeline: Any) -> FastModel:
    """Read a fitted `build_pipeline` Pipeline once and return its FastModel.

    Raises TypeError for any pipeline shape the fast path cannot reproduce exactly.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    from tasks.core.features import FeatureBuilder

    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 3:
        raise _unsupported(
            "expected Pipeline[features, encode, model] as built by build_pipeline, got "
            f"{type(pipeline).__name__}"
            + (f" with {len(pipeline.steps)} steps" if isinstance(pipeline, Pipeline) else "")
        )
    (_, builder), (_, encode), (_, model) = pipeline.steps
    if type(builder) is not FeatureBuilder:
        raise _unsupported(f"first step must be FeatureBuilder, got {type(builder).__name__}")
    if not isinstance(encode, ColumnTransformer):
        raise _unsupported(f"second step must be ColumnTransformer, got {type(encode).__name__}")
    if not hasattr(builder, "feature_names_in_") or not hasattr(encode, "transformers_"):
        raise _unsupported("the pipeline is not fitted")

    specs = tuple(dict(spec) for spec in builder.specs)
    for spec in specs:
        if spec.get("kind") not in _FEATURES:
            raise _unsupported(f"unknown engineered feature kind {spec.get('kind')!r}")
    inputs = tuple(str(c) for c in builder.feature_names_in_)
    layout = _read_encoder(encode)
    scorer, family = _compile_model(model, layout["width"])
    engineered_numeric = {s["name"] for s in specs if s["kind"] in _NUMERIC_KINDS}
    for column in layout["scaled"]:
        if column not in inputs and column not in engineered_numeric:
            raise _unsupported(f"scaled column {column!r} is neither an input nor numeric")
    for block in layout["onehot"]:
        if block.column not in inputs and block.column in engineered_numeric:
            raise _unsupported(f"one-hot column {block.column!r} is a numeric engineered feature")
    numeric_inputs = frozenset(c for c in layout["scaled"] if c in inputs)
    stats: dict[str, Any] = {}
    trees = getattr(scorer, "trees", None) or getattr(
        getattr(scorer, "boosted", None), "trees", None
    )
    if trees is not None:
        stats = {
            "trees": len(trees.roots),
            "nodes": len(trees.feature),
            "depth": trees.depth,
        }
    return FastModel(
        family=family,
        inputs=inputs,
        numeric_inputs=numeric_inputs,
        specs=specs,
        scaled=layout["scaled"],
        scaled_at=layout["scaled_at"],
        mean=layout["mean"],
        scale=layout["scale"],
        onehot=layout["onehot"],
        width=layout["width"],
        scorer=scorer,
        stats=stats,
    )


def _read_encoder(encode: Any) -> dict[str, Any]:
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    scaled: tuple[str, ...] = ()
    scaled_at = slice(0, 0)
    mean = scale = np.empty(0)
    onehot: list[OneHotBlock] = []
    width = 0
    seen_scaler = False
    for name, transformer, columns in encode.transformers_:
        if isinstance(transformer, str):
            if transformer == "drop":
                continue
            if name == "remainder" and len(columns) == 0:
                continue
            raise _unsupported(f"ColumnTransformer entry {name!r} is {transformer!r}")
        out = encode.output_indices_[name]
        width = max(width, out.stop)
        columns = [str(c) for c in columns]
        if type(transformer) is StandardScaler:
            if seen_scaler:
                raise _unsupported("more than one StandardScaler in the ColumnTransformer")
            seen_scaler = True
            n = len(columns)
            mean = np.zeros(n) if transformer.mean_ is None else np.array(transformer.mean_)
            scale = np.ones(n) if transformer.scale_ is None else np.array(transformer.scale_)
            if not transformer.with_mean:
                mean = np.zeros(n)
            if not transformer.with_std:
                scale = np.ones(n)
            scaled, scaled_at = tuple(columns), out
            if out.stop - out.start != n:
                raise _unsupported(f"StandardScaler output width {out} != {n} columns")
        elif type(transformer) is OneHotEncoder:
            onehot.extend(_read_onehot(transformer, columns, out))
        else:
            raise _unsupported(
                f"ColumnTransformer entry {name!r} is {type(transformer).__name__}; only "
                "StandardScaler and OneHotEncoder are supported"
            )
    return {
        "scaled": scaled,
        "scaled_at": scaled_at,
        "mean": mean.astype(np.float64),
        "scale": scale.astype(np.float64),
        "onehot": tuple(onehot),
        "width": width,
    }


def _read_onehot(encoder: Any, columns: list[str], out: slice) -> list[OneHotBlock]:
    if encoder.handle_unknown not in ("ignore", "infrequent_if_exist"):
        raise _unsupported(f"OneHotEncoder(handle_unknown={encoder.handle_unknown!r})")
    if getattr(encoder, "drop_idx_", None) is not None:
        raise _unsupported("OneHotEncoder(drop=...) is not supported")
    if getattr(encoder, "_infrequent_enabled", False):
        raise _unsupported("OneHotEncoder infrequent categories are not supported")
    if np.dtype(encoder.dtype) != np.float64:
        raise _unsupported(f"OneHotEncoder(dtype={encoder.dtype}) is not float64")
    blocks = []
    offset = out.start
    for column, categories in zip(columns, encoder.categories_, strict=True):
        values = list(categories)
        if not all(isinstance(v, str) for v in values):
            raise _unsupported(f"one-hot column {column!r} has non-text categories")
        blocks.append(OneHotBlock(column, offset, {v: i for i, v in enumerate(values)}))
        offset += len(values)
    if offset != out.stop:
        raise _unsupported(f"OneHotEncoder output width {out} != {offset - out.start} columns")
    return blocks


def _compile_model(model: Any, width: int) -> tuple[Any, str]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    from tasks.core.modeling import LogitBlend

    if type(model) is LogisticRegression:
        return _compile_linear(model, width), "logistic_regression"
    if type(model) is RandomForestClassifier:
        return _compile_forest(model, width), "random_forest"
    if type(model) is LogitBlend:
        if type(model.linear_) is not LogisticRegression:
            raise _unsupported(f"LogitBlend.linear_ is {type(model.linear_).__name__}")
        weight = float(model.weight)
        linear = _compile_linear(model.linear_, width)
        return BlendScorer(weight, linear, _compile_lightgbm(model.boosted_, width)), "blend"
    if _is_lgbm_classifier(model):
        return _compile_lightgbm(model, width), "lightgbm"
    raise _unsupported(
        f"model {type(model).__name__} is not LogisticRegression, RandomForestClassifier, "
        "LGBMClassifier or LogitBlend"
    )


def _is_lgbm_classifier(model: Any) -> bool:
    try:
        from lightgbm import LGBMClassifier
    except ImportError:  # pragma: no cover - lightgbm is a dependency
        return False
    return type(model) is LGBMClassifier


def _compile_linear(model: Any, width: int) -> LinearScorer:
    if not hasattr(model, "coef_"):
        raise _unsupported("LogisticRegression is not fitted")
    if len(model.classes_) != 2 or model.coef_.shape != (1, width):
        raise _unsupported(
            f"LogisticRegression must be binary on {width} inputs, got coef_ {model.coef_.shape}"
        )
    coef = np.array(model.coef_, dtype=np.float64).T  # same layout as sklearn's coef_.T
    return LinearScorer(coef, np.array(model.intercept_, dtype=np.float64).reshape(1))


def _depth(left: np.ndarray, right: np.ndarray, root: int) -> int:
    deepest, stack = 0, [(root, 0)]
    while stack:
        node, level = stack.pop()
        if left[node] == node:
            deepest = max(deepest, level)
        else:
            stack.append((int(left[node]), level + 1))
            stack.append((int(right[node]), level + 1))
    return deepest


def _pack(trees: list[dict[str, np.ndarray]]) -> TreeEnsemble:
    """Concatenate per-tree local node arrays into one ensemble with global indices."""
    offsets = np.cumsum([0] + [len(t["feature"]) for t in trees])[:-1]
    keys = ("feature", "threshold", "left", "right", "default_left", "missing", "value", "slot")
    joined = {
        key: np.concatenate(
            [
                t[key] + (o if key in ("left", "right") else 0)
                for t, o in zip(trees, offsets, strict=True)
            ]
        )
        if trees
        else np.zeros(0)
        for key in keys
    }
    depth = max(_depth(joined["left"], joined["right"], int(o)) for o in offsets) if trees else 0
    return TreeEnsemble(
        feature=joined["feature"].astype(np.intp),
        threshold=joined["threshold"].astype(np.float64),
        left=joined["left"].astype(np.intp),
        right=joined["right"].astype(np.intp),
        default_left=joined["default_left"].astype(bool),
        missing=joined["missing"].astype(np.int8),
        value=joined["value"].astype(np.float64),
        slot=joined["slot"].astype(np.intp),
        roots=offsets.astype(np.intp),
        depth=depth,
    )


def _compile_forest(model: Any, width: int) -> ForestScorer:
    if not hasattr(model, "estimators_"):
        raise _unsupported("RandomForestClassifier is not fitted")
    if model.n_outputs_ != 1 or len(model.classes_) != 2 or model.n_features_in_ != width:
        raise _unsupported("RandomForestClassifier must be single-output binary on the inputs")
    trees = []
    for estimator in model.estimators_:
        tree = estimator.tree_
        if tree.value.shape[1:] != (1, 2):
            raise _unsupported(f"tree value shape {tree.value.shape} is not (nodes, 1, 2)")
        n = tree.node_count
        leaf = tree.children_left == -1
        own = np.arange(n)
        trees.append(
            {
                "feature": np.where(leaf, 0, tree.feature),
                "threshold": np.where(leaf, np.inf, tree.threshold),
                "left": np.where(leaf, own, tree.children_left),
                "right": np.where(leaf, own, tree.children_right),
                "default_left": np.asarray(tree.missing_go_to_left, dtype=bool),
                "missing": np.full(n, _NAN),  # NaN -> missing_go_to_left, else x <= threshold
                # DecisionTreeClassifier.predict_proba returns tree_.value as stored
                # (class proportions since sklearn 1.4), without renormalising
                "value": np.where(leaf, tree.value[:, 0, 1], 0.0),
                "slot": np.where(leaf, np.cumsum(leaf) - 1, 0),
            }
        )
    return ForestScorer(_pack(trees))


def _compile_lightgbm(model: Any, width: int) -> BoostedScorer:
    if not model.__sklearn_is_fitted__():
        raise _unsupported("LGBMClassifier is not fitted")
    booster = model.booster_
    if len(model.classes_) != 2:
        raise _unsupported("LGBMClassifier must be binary")
    dump = booster.dump_model()  # best_iteration trees, as Booster.predict uses by default
    objective = str(dump.get("objective", ""))
    parts = objective.split()
    if not parts or parts[0] != "binary":
        raise _unsupported(f"LightGBM objective {objective!r} is not 'binary'")
    sigmoid = 1.0
    for part in parts[1:]:
        if part.startswith("sigmoid:"):
            sigmoid = float(part.split(":", 1)[1])
    if dump.get("num_class", 1) != 1 or dump.get("num_tree_per_iteration", 1) != 1:
        raise _unsupported("LightGBM multiclass models are not supported")
    if dump["max_feature_idx"] + 1 != width:
        raise _unsupported(f"LightGBM has {dump['max_feature_idx'] + 1} inputs, expected {width}")
    average_over = len(dump["tree_info"]) if dump.get("average_output") else 0
    return BoostedScorer(lightgbm_trees(dump), sigmoid, average_over)


def lightgbm_trees(dump: dict[str, Any]) -> TreeEnsemble:
    """The trees of a LightGBM `dump_model()`, packed (TypeError: not a plain numeric tree)."""
    return _pack([_lightgbm_tree(info) for info in dump["tree_info"]])


def _lightgbm_tree(info: dict[str, Any]) -> dict[str, np.ndarray]:
    keys = ("feature", "threshold", "left", "right", "default_left", "missing", "value", "slot")
    columns: dict[str, list] = {k: [] for k in keys}

    def add() -> int:
        for values in columns.values():
            values.append(0)
        return len(columns["feature"]) - 1

    stack = [(info["tree_structure"], add())]
    while stack:
        node, at = stack.pop()
        if "leaf_value" in node:
            if "leaf_coeff" in node:
                raise _unsupported("LightGBM linear trees are not supported")
            columns["left"][at] = columns["right"][at] = at
            columns["threshold"][at] = math.inf
            columns["value"][at] = float(node["leaf_value"])
            columns["slot"][at] = int(node.get("leaf_index", 0))  # a lone root leaf has none
            continue
        if node.get("decision_type") != "<=":
            raise _unsupported(f"LightGBM split {node.get('decision_type')!r} (categorical)")
        left, right = add(), add()
        columns["feature"][at] = int(node["split_feature"])
        columns["threshold"][at] = float(node["threshold"])
        columns["left"][at], columns["right"][at] = left, right
        columns["default_left"][at] = bool(node["default_left"])
        columns["missing"][at] = _MISSING_TYPES[node["missing_type"]]
        columns["value"][at] = 0.0
        stack.append((node["left_child"], left))
        stack.append((node["right_child"], right))
    return {
        "feature": np.array(columns["feature"], dtype=np.intp),
        "threshold": np.array(columns["threshold"], dtype=np.float64),
        "left": np.array(columns["left"], dtype=np.intp),
        "right": np.array(columns["right"], dtype=np.intp),
        "default_left": np.array(columns["default_left"], dtype=bool),
        "missing": np.array(columns["missing"], dtype=np.int8),
        "value": np.array(columns["value"], dtype=np.float64),
        "slot": np.array(columns["slot"], dtype=np.intp),
    }
