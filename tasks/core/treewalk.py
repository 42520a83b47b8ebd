"""Tree walks compiled with numba: every tree of an ensemble for every row, the GIL released.

The node arrays are those of `trees.TreeEnsemble`: flat, global node indices, a leaf points
to itself on both sides. The decision at a node is LightGBM's own (`Tree::NumericalDecision`),
which also covers sklearn trees (all their nodes are of the "NaN" missing type):

- with `small_as_zero` (LightGBM's dense-row reader), |x| <= 1e-35f reads as 0 first;
- NaN at a node that does not know NaN reads as 0;
- NaN at a "NaN" node, or a value within +-1e-35f at a "Zero" node, goes the node's default
  way; any other value goes left when x <= threshold.

Sums run in tree order, as LightGBM and sklearn add the trees up, so totals are bit-identical
to theirs. Compiled on first use and cached on disk (numba's `cache=True`).
"""

from __future__ import annotations

import numba
import numpy as np

ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a double from the float 1e-35f)
ZERO_MISSING, NAN_MISSING = 1, 2  # node missing types (0: None)
_BLOCK_ROWS = 256  # rows walked before their table rows are summed, group by group


@numba.njit(cache=True, nogil=True, inline="always")
def _plain(row, zero_nodes, small):
    """True when no rule but `x <= threshold` can apply to this row."""
    if zero_nodes:
        return False
    for value in row:
        if value != value or (small and value != 0.0 and -ZERO <= value <= ZERO):
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _careful_leaf(row, node, feature, threshold, left, right, default_left, missing, small):
    """The leaf the row reaches from `node`, every rule applied."""
    while left[node] != node:
        value = row[feature[node]]
        kind = missing[node]
        if value != value:  # NaN
            if kind == NAN_MISSING:
                node = left[node] if default_left[node] else right[node]
                continue
            value = 0.0
        elif small and -ZERO <= value <= ZERO:
            value = 0.0
        if kind == ZERO_MISSING and -ZERO <= value <= ZERO:
            node = left[node] if default_left[node] else right[node]
        elif value <= threshold[node]:
            node = left[node]
        else:
            node = right[node]
    return node


@numba.njit(cache=True, nogil=True, inline="always")
def _reach(
    row,
    out,
    roots,
    depth,
    zero_nodes,
    feature,
    threshold,
    left,
    right,
    default_left,
    missing,
    small,
):
    """Fill `out` with the leaf node each tree sends the row to.

    Plain rows (see `_plain`) take `depth` branch-free steps, one level of every tree at a
    time (independent steps the CPU overlaps), a leaf stepping onto itself; the others follow
    every rule (`_careful_leaf`)."""
    if _plain(row, zero_nodes, small):
        for t in range(roots.shape[0]):
            out[t] = roots[t]
        for _ in range(depth):
            for t in range(roots.shape[0]):
                node = out[t]
                go_left = row[feature[node]] <= threshold[node]
                out[t] = right[node] + go_left * (left[node] - right[node])
    else:
        for t in range(roots.shape[0]):
            out[t] = _careful_leaf(
                row, roots[t], feature, threshold, left, right, default_left, missing, small
            )


@numba.njit(cache=True, nogil=True)
def leaves(
    x, roots, depth, zero_nodes, feature, threshold, left, right, default_left, missing, small
):
    """Leaf node index per (row, tree)."""
    out = np.empty((x.shape[0], roots.shape[0]), dtype=np.intp)
    for i in range(x.shape[0]):
        _reach(
            x[i],
            out[i],
            roots,
            depth,
            zero_nodes,
            feature,
            threshold,
            left,
            right,
            default_left,
            missing,
            small,
        )
    return out


@numba.njit(cache=True, nogil=True)
def totals(
    x,
    roots,
    depth,
    zero_nodes,
    feature,
    threshold,
    left,
    right,
    default_left,
    missing,
    small,
    value,
):
    """Per row: the sum of its leaf values, added in tree order."""
    out = np.empty(x.shape[0], dtype=np.float64)
    reached = np.empty(roots.shape[0], dtype=np.intp)
    for i in range(x.shape[0]):
        _reach(
            x[i],
            reached,
            roots,
            depth,
            zero_nodes,
            feature,
            threshold,
            left,
            right,
            default_left,
            missing,
            small,
        )
        total = 0.0
        for t in range(roots.shape[0]):
            total += value[reached[t]]
        out[i] = total
    return out


@numba.njit(cache=True, nogil=True)
def grouped_sums(
    x,
    roots,
    depth,
    zero_nodes,
    feature,
    threshold,
    left,
    right,
    default_left,
    missing,
    small,
    slot,
    group,
    radix,
    table,
):
    """Per row: the sum over tree groups of `table[group row + leaf combination]`.

    Trees go `group` at a time; a group's combination is sum(slot[leaf_j] * radix**j) over its
    trees j (`slot`: the leaf's number in its own tree; missing trees of the last group count
    as leaf 0) and `table` has radix**group rows per group."""
    trees = roots.shape[0]
    groups = (trees + group - 1) // group
    combos = radix**group
    width = table.shape[1]
    out = np.zeros((x.shape[0], width), dtype=np.float64)
    reached = np.empty(trees, dtype=np.intp)
    at = np.empty((_BLOCK_ROWS, groups), dtype=np.intp)
    for lo in range(0, x.shape[0], _BLOCK_ROWS):
        hi = min(x.shape[0], lo + _BLOCK_ROWS)
        for i in range(lo, hi):
            _reach(
                x[i],
                reached,
                roots,
                depth,
                zero_nodes,
                feature,
                threshold,
                left,
                right,
                default_left,
                missing,
                small,
            )
            for g in range(groups):
                combo = 0
                scale = 1
                for j in range(group):
                    t = g * group + j
                    if t < trees:
                        combo += slot[reached[t]] * scale
                    scale *= radix
                at[i - lo, g] = g * combos + combo
        # group by group over the block: one group's table rows stay in cache
        for g in range(groups):
            for i in range(lo, hi):
                found = table[at[i - lo, g]]
                total = out[i]
                for k in range(width):
                    total[k] += found[k]
    return out


@numba.njit(cache=True, nogil=True)
def leaf_sums(
    x,
    roots,
    depth,
    zero_nodes,
    feature,
    threshold,
    left,
    right,
    default_left,
    missing,
    small,
    row,
    table,
):
    """Per row: the sum over trees of `table[row[leaf]]`, the leaf's own table row."""
    trees = roots.shape[0]
    width = table.shape[1]
    out = np.zeros((x.shape[0], width), dtype=np.float64)
    reached = np.empty(trees, dtype=np.intp)
    for i in range(x.shape[0]):
        _reach(
            x[i],
            reached,
            roots,
            depth,
            zero_nodes,
            feature,
            threshold,
            left,
            right,
            default_left,
            missing,
            small,
        )
        total = out[i]
        for t in range(trees):
            found = table[row[reached[t]]]
            for k in range(width):
                total[k] += found[k]
    return out
