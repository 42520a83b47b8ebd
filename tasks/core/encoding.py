"""The fitted encoder of a pipeline, as numpy arrays.

`Encoder` is a fitted ColumnTransformer[StandardScaler, OneHotEncoder] read once: scaling is
`x -= mean_; x /= scale_` on float64, as sklearn does it in place; one-hot sets the looked-up
column of each row (unknown values leave the row's block at zero, handle_unknown="ignore").
It reads a batch through `tasks.core.columns.Columns`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tasks.core.columns import Columns


@dataclass(frozen=True, eq=False)
class OneHot:
    column: str
    offset: int
    categories: pd.Index
    index: dict[str, int]
    memo: dict = field(default_factory=dict)  # see Columns.lookup


@dataclass(frozen=True, eq=False)
class Encoder:
    """A fitted ColumnTransformer[StandardScaler, OneHotEncoder] as arrays."""

    scaled: tuple[str, ...]
    scaled_at: slice
    mean: np.ndarray | None  # None: no centring (with_mean=False)
    scale: np.ndarray | None  # None: no scaling (with_std=False)
    onehot: tuple[OneHot, ...]
    width: int
    sources: tuple[str, ...]  # the column each encoded column comes from, folded
    to_source: np.ndarray  # (width, sources) indicator matrix

    def encode(self, cols: Columns) -> np.ndarray:
        out = np.zeros((cols.rows, self.width), dtype=np.float64)
        if self.scaled:
            values = np.empty((cols.rows, len(self.scaled)), dtype=np.float64)
            for j, name in enumerate(self.scaled):
                values[:, j] = cols.number(name)
            if np.isinf(values).any():  # StandardScaler's input check
                raise ValueError("Input X contains infinity or a value too large for float64")
            if self.mean is not None:
                values -= self.mean
            if self.scale is not None:
                values /= self.scale
            out[:, self.scaled_at] = values
        hits: list[int] = []  # flat positions of the ones found by dict lookups
        width = self.width
        for block in self.onehot:
            found = cols.small_lookup(block.column, block.index)
            if found is not None:
                at = block.offset
                hits.extend(r * width + at + c for r, c in enumerate(found) if c >= 0)
                continue
            codes = cols.lookup(block.column, block.categories, block.index, block.memo)
            known = np.flatnonzero(codes >= 0)
            out[known, block.offset + codes[known]] = 1.0
        if hits:
            out.reshape(-1)[hits] = 1.0
        return out


def unsupported(message: str) -> TypeError:
    return TypeError(f"cannot compile the pipeline: {message}")


def read_encoder(encode: Any) -> Encoder:
    """Read a fitted ColumnTransformer; TypeError for any setting not reproduced exactly."""
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if getattr(encode, "sparse_output_", False) or getattr(encode, "_sklearn_output_config", {}):
        raise unsupported("the ColumnTransformer must give a dense array")
    scaled: tuple[str, ...] = ()
    scaled_at, mean, scale = slice(0, 0), None, None
    onehot: list[OneHot] = []
    owners: list[int] = []
    sources: list[str] = []
    width = 0
    for name, transformer, columns in encode.transformers_:
        if isinstance(transformer, str):
            if transformer == "drop" or (name == "remainder" and len(columns) == 0):
                continue
            raise unsupported(f"ColumnTransformer entry {name!r} is {transformer!r}")
        out = encode.output_indices_[name]
        if out.start != width:
            raise unsupported(f"ColumnTransformer entry {name!r} is out of order")
        columns = [str(c) for c in columns]
        if type(transformer) is StandardScaler:
            if scaled:
                raise unsupported("more than one StandardScaler")
            scaled, scaled_at = tuple(columns), out
            if transformer.with_mean:
                mean = np.asarray(transformer.mean_, dtype=np.float64)
            if transformer.with_std:
                scale = np.asarray(transformer.scale_, dtype=np.float64)
            for column in columns:
                sources.append(column)
                owners.append(len(sources) - 1)
        elif type(transformer) is OneHotEncoder:
            _check_onehot(transformer)
            offset = out.start
            for column, categories in zip(columns, transformer.categories_, strict=True):
                values = list(categories)
                if not all(isinstance(v, str) for v in values):
                    raise unsupported(f"one-hot column {column!r} has categories that are not text")
                index = {v: i for i, v in enumerate(values)}
                onehot.append(OneHot(column, offset, pd.Index(values, dtype=object), index))
                sources.append(column)
                owners.extend([len(sources) - 1] * len(values))
                offset += len(values)
        else:
            raise unsupported(
                f"ColumnTransformer entry {name!r} is {type(transformer).__name__}; only "
                "StandardScaler and OneHotEncoder are compiled"
            )
        width = out.stop
        if len(owners) != width:
            raise unsupported(f"ColumnTransformer entry {name!r} has an unexpected width")
    to_source = np.zeros((width, len(sources)))
    to_source[np.arange(width), owners] = 1.0
    return Encoder(scaled, scaled_at, mean, scale, tuple(onehot), width, tuple(sources), to_source)


def _check_onehot(encoder: Any) -> None:
    if encoder.handle_unknown != "ignore":
        raise unsupported(f"OneHotEncoder(handle_unknown={encoder.handle_unknown!r})")
    if getattr(encoder, "drop_idx_", None) is not None:
        raise unsupported("OneHotEncoder(drop=...) is not compiled")
    if getattr(encoder, "_infrequent_enabled", False):
        raise unsupported("OneHotEncoder infrequent categories are not compiled")
    if np.dtype(encoder.dtype) != np.float64 or encoder.sparse_output:
        raise unsupported("OneHotEncoder must give dense float64")
