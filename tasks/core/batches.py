"""Customer tables held as compact Arrow tables, turned into pandas one chunk at a time.

A source is read once into Arrow: text columns where at most half the rows are distinct are
dictionary-encoded with the narrowest index type, so a million customers' repeated
"Month-to-month" is one string and one byte per row. Scoring converts one chunk at a time
(`to_frame`), so memory grows with the table's compact size, not with pandas objects.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_INDEX_TYPES = ((2**7, pa.int8()), (2**15, pa.int16()), (2**31, pa.int32()))


def compact(table: pa.Table) -> pa.Table:
    """The same table with repetitive text columns dictionary-encoded (narrow indices)."""
    columns = [_compact_column(column, table.num_rows) for column in table.columns]
    return pa.table(columns, names=table.column_names)


def _compact_column(column: pa.ChunkedArray, rows: int) -> pa.ChunkedArray:
    if rows and pa.types.is_dictionary(column.type):  # encoded while parsing: narrow indices
        return _narrowed(column.unify_dictionaries().combine_chunks())
    if rows == 0 or not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    encoded = pc.dictionary_encode(column).combine_chunks()
    if 2 * len(encoded.dictionary) > rows:
        return column
    return _narrowed(encoded)


def _narrowed(encoded: pa.DictionaryArray) -> pa.ChunkedArray:
    """The dictionary column with the narrowest index type its dictionary allows."""
    size = len(encoded.dictionary)
    index_type = next(kind for limit, kind in _INDEX_TYPES if size < limit)
    indices = encoded.indices.cast(index_type)
    return pa.chunked_array([pa.DictionaryArray.from_arrays(indices, encoded.dictionary)])


def to_frame(table: pa.Table) -> pd.DataFrame:
    """pandas columns with the values a text read gives: dictionary columns as categories
    (object categories, codes -1 for NULL), other text as object str with NaN for NULL,
    typed columns (Parquet) as pandas converts them."""
    columns = {name: _to_pandas(table.column(name)) for name in table.column_names}
    return pd.DataFrame(columns, columns=table.column_names, copy=False)


def _to_pandas(column: pa.ChunkedArray):
    if pa.types.is_dictionary(column.type):
        array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        codes = array.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        categories = pd.Index(array.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        return pd.Categorical.from_codes(codes, categories)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        values = column.to_numpy(zero_copy_only=False)  # object array, None for NULL
        if column.null_count:
            values[column.is_null().to_numpy(zero_copy_only=False)] = np.nan
        return values
    return column.to_pandas()


class Slice:
    """Consecutive rows of a table: zero-copy in this process, and pickled (for a task runner
    in other processes) as those rows only, in Arrow's stream format. A pickled Arrow slice
    would carry its whole table's buffers: every chunk of a distributed run, the whole table."""

    __slots__ = ("table",)

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __reduce__(self):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, self.table.schema) as writer:
            writer.write_table(self.table)
        return (_slice_from_stream, (sink.getvalue(),))


def _slice_from_stream(buffer: pa.Buffer) -> Slice:
    return Slice(pa.ipc.open_stream(buffer).read_all())


def slices(table: pa.Table, rows: int) -> Iterator[Slice]:
    """Consecutive zero-copy slices of at most `rows` rows."""
    for start in range(0, table.num_rows, rows):
        yield Slice(table.slice(start, rows))


def sample_rows(table: pa.Table, size: int, seed: int) -> pa.Table:
    """A fixed random sample of at most `size` rows, in table order (same seed, same rows)."""
    if table.num_rows <= size:
        return table
    rng = np.random.default_rng(seed)
    return table.take(pa.array(np.sort(rng.choice(table.num_rows, size=size, replace=False))))


def from_frame(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame read by another source kind as a compact Arrow table (text stays text;
    object columns of other values, as some drivers return, become their text)."""
    columns = {}
    for name in frame.columns:
        series = frame[name]
        try:
            columns[str(name)] = pa.chunked_array([pa.array(series, from_pandas=True)])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = series.astype(object).map(str, na_action="ignore")
            columns[str(name)] = pa.chunked_array([pa.array(text, from_pandas=True)])
    return compact(pa.table(columns))
