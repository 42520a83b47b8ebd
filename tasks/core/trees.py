"""Tree ensembles as flat arrays, and their per-leaf path (Saabas) contribution tables.

`TreeEnsemble`: every tree of a LightGBM `dump_model()` or a sklearn forest packed into flat
node arrays with global indices, a leaf pointing to itself on both sides; walked by the
compiled kernels of `tasks.core.treewalk` (LightGBM's decision rule, sums in tree order, so
leaf totals are bit-identical to the libraries'). `value` holds every node's output: the leaf
value at leaves, LightGBM's `internal_value` or the forest node's churn share inside.

`PathTable`: Saabas decomposition of every tree. Walking from the root to the row's leaf, each
split moves the node value from the parent's to the child's, and that change is credited to
the split's feature, folded onto the source column of that feature. The bias is the sum of the
root values, so bias plus contributions is the sum of the leaf values. Per leaf, the credits
along its path are summed once (a table row); a row's contributions are then the sum of its
leaves' rows. Shallow trees go in groups (one table row per leaf combination of a group, fewer
rows to add); deep ones one leaf row each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tasks.core import treewalk
from tasks.core.encoding import unsupported

NONE_MISSING = 0
MISSING_TYPES = {"None": NONE_MISSING, "Zero": treewalk.ZERO_MISSING, "NaN": treewalk.NAN_MISSING}
MAX_COMBINATIONS = 256  # leaf combinations per tree group in a grouped table
_KEYS = ("feature", "threshold", "left", "right", "default_left", "missing", "value", "slot")


@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    feature: np.ndarray  # intp, 0 at leaves
    threshold: np.ndarray  # float64
    left: np.ndarray  # intp, global node index
    right: np.ndarray  # intp
    default_left: np.ndarray  # bool: where missing values go
    missing: np.ndarray  # int8: missing type
    value: np.ndarray  # float64 node output
    slot: np.ndarray  # intp: a leaf's number in its own tree, 0 inside
    roots: np.ndarray  # intp, one per tree
    depth: int  # longest root-to-leaf path

    def nodes(self, small_as_zero: bool) -> tuple:
        """The arguments the kernels take after the rows."""
        zero_nodes = bool((self.missing == treewalk.ZERO_MISSING).any())
        return (
            self.roots,
            self.depth,
            zero_nodes,
            self.feature,
            self.threshold,
            self.left,
            self.right,
            self.default_left,
            self.missing,
            small_as_zero,
        )

    def leaves(self, x: np.ndarray, small_as_zero: bool = False) -> np.ndarray:
        """Leaf node index per (row, tree)."""
        return treewalk.leaves(rows(x), *self.nodes(small_as_zero))

    def total(self, x: np.ndarray, small_as_zero: bool = False) -> np.ndarray:
        """Sum of leaf values over trees, accumulated in tree order."""
        return treewalk.totals(rows(x), *self.nodes(small_as_zero), self.value)

    @property
    def stats(self) -> dict[str, int]:
        return {"trees": len(self.roots), "nodes": len(self.feature), "depth": self.depth}


def rows(x: np.ndarray) -> np.ndarray:
    """C-ordered float rows, as the kernels take them (float32 stays float32)."""
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    return np.ascontiguousarray(x)


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


def pack(trees: list[dict[str, np.ndarray]]) -> TreeEnsemble:
    """Concatenate per-tree local node arrays into one ensemble with global indices."""
    offsets = np.cumsum([0] + [len(t["feature"]) for t in trees])[:-1].astype(np.intp)
    joined = {
        key: np.concatenate(
            [
                t[key] + (o if key in ("left", "right") else 0)
                for t, o in zip(trees, offsets, strict=True)
            ]
        )
        if trees
        else np.zeros(0)
        for key in _KEYS
    }
    depth = max((_depth(joined["left"], joined["right"], int(o)) for o in offsets), default=0)
    return TreeEnsemble(
        feature=joined["feature"].astype(np.intp),
        threshold=joined["threshold"].astype(np.float64),
        left=joined["left"].astype(np.intp),
        right=joined["right"].astype(np.intp),
        default_left=joined["default_left"].astype(bool),
        missing=joined["missing"].astype(np.int8),
        value=joined["value"].astype(np.float64),
        slot=joined["slot"].astype(np.intp),
        roots=offsets,
        depth=depth,
    )


def forest_trees(model: Any) -> TreeEnsemble:
    """The trees of a fitted sklearn RandomForestClassifier (binary), packed. A node's value
    is its churn share as stored (`tree_.value`, class proportions), which predict_proba
    returns at the leaves."""
    trees = []
    for estimator in model.estimators_:
        tree = estimator.tree_
        if tree.value.shape[1:] != (1, 2):
            raise unsupported(f"tree value shape {tree.value.shape} is not (nodes, 1, 2)")
        leaf = tree.children_left == -1
        own = np.arange(tree.node_count)
        trees.append(
            {
                "feature": np.where(leaf, 0, tree.feature),
                "threshold": np.where(leaf, np.inf, tree.threshold),
                "left": np.where(leaf, own, tree.children_left),
                "right": np.where(leaf, own, tree.children_right),
                "default_left": np.asarray(tree.missing_go_to_left, dtype=bool),
                "missing": np.full(tree.node_count, treewalk.NAN_MISSING),
                "value": tree.value[:, 0, 1],
                "slot": np.where(leaf, np.cumsum(leaf) - 1, 0),
            }
        )
    return pack(trees)


def lightgbm_trees(dump: dict[str, Any]) -> TreeEnsemble:
    """The trees of a LightGBM `dump_model()`, packed (TypeError: not plain numeric trees)."""
    return pack([_lightgbm_tree(info) for info in dump["tree_info"]])


def _lightgbm_tree(info: dict[str, Any]) -> dict[str, np.ndarray]:
    columns: dict[str, list] = {k: [] for k in _KEYS}

    def add() -> int:
        for values in columns.values():
            values.append(0)
        return len(columns["feature"]) - 1

    stack = [(info["tree_structure"], add())]
    while stack:
        node, at = stack.pop()
        if "leaf_value" in node:
            if "leaf_coeff" in node:
                raise unsupported("LightGBM linear trees are not compiled")
            columns["left"][at] = columns["right"][at] = at
            columns["threshold"][at] = math.inf
            columns["value"][at] = float(node["leaf_value"])
            columns["slot"][at] = int(node.get("leaf_index", 0))  # a lone root leaf has none
            continue
        if node.get("decision_type") != "<=":
            raise unsupported(f"LightGBM split {node.get('decision_type')!r} (categorical)")
        left, right = add(), add()
        columns["feature"][at] = int(node["split_feature"])
        columns["threshold"][at] = float(node["threshold"])
        columns["left"][at], columns["right"][at] = left, right
        columns["default_left"][at] = bool(node["default_left"])
        columns["missing"][at] = MISSING_TYPES[node["missing_type"]]
        columns["value"][at] = float(node["internal_value"])
        stack.append((node["left_child"], left))
        stack.append((node["right_child"], right))
    return {k: np.array(v) for k, v in columns.items()}


@dataclass(frozen=True, eq=False)
class PathTable:
    """Saabas tables of one ensemble, folded onto source columns.

    Grouped (`row` is None): trees go `group` at a time, a group's leaf combination is
    sum(slot_j * radix**j) and `table` has radix**group rows per group. Per leaf (`row`
    given): `table[row[leaf]]` is the leaf's own row."""

    trees: TreeEnsemble
    bias: float
    group: int
    radix: int
    table: np.ndarray
    row: np.ndarray | None

    def sums(self, x: np.ndarray, small_as_zero: bool) -> np.ndarray:
        """Per row of `x`: the contributions of every tree, summed (rows x sources)."""
        nodes = self.trees.nodes(small_as_zero)
        if self.row is None:
            return treewalk.grouped_sums(
                rows(x), *nodes, self.trees.slot, self.group, self.radix, self.table
            )
        return treewalk.leaf_sums(rows(x), *nodes, self.row, self.table)


def path_table(trees: TreeEnsemble, to_source: np.ndarray) -> PathTable:
    """Every leaf's summed credits along its path, on the source columns, then grouped."""
    owner = np.argmax(to_source, axis=1) if to_source.size else np.zeros(0, dtype=np.intp)
    sources = to_source.shape[1]
    is_leaf = trees.left == np.arange(len(trees.left))
    leaf_nodes: list[np.ndarray] = []
    leaf_rows: list[np.ndarray] = []
    frontier = trees.roots[~is_leaf[trees.roots]]
    credit = np.zeros((len(frontier), sources))
    leaf_nodes.append(trees.roots[is_leaf[trees.roots]])
    leaf_rows.append(np.zeros((len(leaf_nodes[0]), sources)))
    while len(frontier):
        parents = np.concatenate([frontier, frontier])
        children = np.concatenate([trees.left[frontier], trees.right[frontier]])
        moved = np.concatenate([credit, credit])
        delta = trees.value[children] - trees.value[parents]
        moved[np.arange(len(children)), owner[trees.feature[parents]]] += delta
        done = is_leaf[children]
        leaf_nodes.append(children[done])
        leaf_rows.append(moved[done])
        frontier, credit = children[~done], moved[~done]
    nodes = np.concatenate(leaf_nodes)
    per_leaf = np.concatenate(leaf_rows)
    bias = float(np.sum(trees.value[trees.roots])) if len(trees.roots) else 0.0
    count = len(trees.roots)
    radix = max(int(trees.slot.max()) + 1 if len(trees.slot) else 1, 2)
    if radix * radix > MAX_COMBINATIONS:  # deep trees: one row per leaf
        row = np.zeros(len(trees.left), dtype=np.intp)
        row[nodes] = np.arange(len(nodes))
        return PathTable(trees, bias, 1, radix, np.ascontiguousarray(per_leaf), row)
    group = 1
    while radix ** (group + 1) <= MAX_COMBINATIONS and group + 1 <= max(count, 1):
        group += 1
    groups = -(-count // group) if count else 0
    tree_of = np.searchsorted(trees.roots, nodes, side="right") - 1
    padded = np.zeros((groups * group, radix, sources))
    padded[tree_of, trees.slot[nodes]] = per_leaf
    combos = radix**group
    digits = (np.arange(combos)[:, None] // radix ** np.arange(group)[None, :]) % radix
    table = np.zeros((groups, combos, sources))
    for j in range(group):
        table += padded[j::group][:, digits[:, j], :]
    return PathTable(trees, bias, group, radix, table.reshape(groups * combos, sources), None)
