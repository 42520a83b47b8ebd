"""The raw columns of a batch, as numpy arrays.

`Columns` is the one view of a batch that engineered features and encoding read: a pandas
frame (numbers, text, pandas Categorical columns) or a list of JSON records. Its answers are
those of pandas on the frame the logged pipeline sees:

- `number(name)`: `astype(float)`;
- `equals(name, value)`: `astype(str) == value`, without writing numbers as text (a float is
  compared with the number `value` spells) and, for a Categorical, once per category;
- `lookup(name, categories)`: the position of each value among an encoder's categories (hash
  equality, as OneHotEncoder matches them; -1 for unknown or missing values), once per
  category for a Categorical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


class Columns:
    """One batch's columns: raw inputs read on demand, engineered ones added by name.

    A column is a float64 array, an object array (records: a list), or categories
    (codes into an Index, -1 for missing values). Frames keep their pandas Series for the rare
    dtypes read through pandas.
    """

    def __init__(self, rows: int, read, index: pd.Index | None = None):
        self.rows = rows
        self._index = index
        self._read = read  # name -> ("float" | "object" | "category" | "series", payload)
        self._columns: dict[str, tuple[str, Any]] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self.engineered: list[str] = []

    @property
    def index(self) -> pd.Index:
        """The frame's index, or positions for records."""
        return self._index if self._index is not None else pd.RangeIndex(self.rows)

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> Columns:
        def read(name: str) -> tuple[str, Any]:
            series = frame[name]
            dtype = series.dtype
            if isinstance(dtype, pd.CategoricalDtype):
                codes = series.cat.codes.to_numpy().astype(np.intp)
                return "category", (codes, pd.Index(series.cat.categories))
            if dtype == np.float64:
                return "float", series.to_numpy()
            if dtype == np.dtype(object):
                return "object", series.to_numpy()
            return "series", series

        return cls(len(frame), read, frame.index)

    @classmethod
    def of_records(cls, records: Sequence[Mapping[str, Any]], numeric: frozenset[str]) -> Columns:
        """Records as the frame serving builds of them: `numeric` columns float64, the rest
        objects as given. Their objects stay lists: records are Python objects already, and a
        dict lookup per value beats building a pandas index per request."""

        def read(name: str) -> tuple[str, Any]:
            values = [record[name] for record in records]
            if name in numeric:
                return "float", np.array(values, dtype=np.float64)
            return "list", values

        return cls(len(records), read)

    def _column(self, name: str, as_list: bool = False) -> tuple[str, Any]:
        """(kind, payload); records' objects stay a list when `as_list`."""
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = self._read(name)
        if found[0] == "list" and not as_list:
            column = np.empty(len(found[1]), dtype=object)
            column[:] = found[1]
            found = self._columns[name] = ("object", column)
        return found

    def number(self, name: str) -> np.ndarray:
        values = self._numbers.get(name)
        if values is not None:
            return values
        kind, payload = self._column(name)
        if kind == "float":
            values = payload
        elif kind == "category":
            codes, categories = payload
            table = np.append(np.asarray(categories.astype(float), dtype=np.float64), np.nan)
            values = table[codes]
        else:
            series = payload if kind == "series" else pd.Series(payload, dtype=object)
            values = series.astype(float).to_numpy()
        self._numbers[name] = values
        return values

    def equals(self, name: str, value: str) -> np.ndarray:
        """`astype(str) == value` per row."""
        kind, payload = self._column(name, as_list=True)
        if kind == "list":  # str(x) is what astype(str) writes
            return np.array(
                [v == value if type(v) is str else str(v) == value for v in payload], bool
            )
        if kind == "float":
            return _float_equals(payload, value)
        if kind == "category":
            codes, categories = payload
            text = pd.Series(categories, dtype=categories.dtype).astype(str).to_numpy()
            return np.append(text == value, value == "nan")[codes]
        if kind == "object" and pd.api.types.infer_dtype(payload, skipna=False) == "string":
            return np.asarray(payload == value, dtype=bool)
        series = payload if kind == "series" else pd.Series(payload, dtype=object)
        return series.astype(str).to_numpy() == value

    def lookup(
        self, name: str, categories: pd.Index, index: Mapping[str, int], memo: dict | None = None
    ) -> np.ndarray:
        """The position of each row's value among `categories` (-1: unknown or missing);
        `memo` keeps the category-to-position table of a Categorical's categories seen before
        (engineered labels are the same Index every time)."""
        kind, payload = self._column(name)
        if kind == "category":
            codes, own = payload
            known = memo.get(id(own)) if memo is not None else None
            if known is None or known[0] is not own:
                known = (own, np.append(categories.get_indexer(own), -1))
                if memo is not None and len(memo) < 64:
                    memo[id(own)] = known
            return known[1][codes]
        if kind == "float":
            return np.full(self.rows, -1, dtype=np.intp)  # numbers never equal text categories
        values = payload.to_numpy() if kind == "series" else payload
        return categories.get_indexer(values)

    def small_lookup(self, name: str, index: Mapping[str, int]) -> list[int] | None:
        """`lookup` as a list, for records' objects (None for other columns)."""
        kind, payload = self._column(name, as_list=True)
        return [index.get(v, -1) for v in payload] if kind == "list" else None

    def set_number(self, name: str, values: np.ndarray) -> None:
        self._columns[name] = ("float", values)
        self._numbers[name] = values
        self._engineered(name)

    def set_categories(self, name: str, codes: np.ndarray, categories: pd.Index) -> None:
        self._columns[name] = ("category", (codes, categories))
        self._numbers.pop(name, None)
        self._engineered(name)

    def _engineered(self, name: str) -> None:
        if name not in self.engineered:
            self.engineered.append(name)

    def values(self, name: str, categorical: bool = True) -> Any:
        """A column as a frame would hold it (an engineered label column as text, or as a
        pandas Categorical when `categorical`)."""
        kind, payload = self._column(name)
        if kind == "category":
            codes, categories = payload
            if categorical:
                return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))
            return np.append(np.asarray(categories, dtype=object), np.nan)[codes]
        return payload.to_numpy() if kind == "series" else payload

    def frame(self, names: Sequence[str]) -> pd.DataFrame:
        """The named columns and every engineered one, as a frame on the batch's index."""
        columns = list(dict.fromkeys([*names, *self.engineered]))
        return pd.DataFrame({c: self.values(c) for c in columns}, index=self.index, copy=False)


def _float_equals(values: np.ndarray, value: str) -> np.ndarray:
    """`str(x) == value` for every float x, by comparing numbers."""
    try:
        number = float(value)
    except ValueError:
        return np.zeros(len(values), dtype=bool)
    if str(number) != value:  # e.g. "1" or "1.50": no float prints like that
        return np.zeros(len(values), dtype=bool)
    if number != number:
        return np.isnan(values)
    if number == 0.0:
        return (values == 0.0) & (np.signbit(values) == np.signbit(number))
    return values == number
