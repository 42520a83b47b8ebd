"""Compact inputs change nothing: the COPY text parser gives read_csv's values, and category
columns coerce and validate exactly like the same text in object columns."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.schema import load_config
from data.generate import generate_customers
from tasks.adapters.source_sql import parse_copy_csv
from tasks.core import batches
from tasks.core.coercion import as_text, coerce_frame, parse_numbers, row_findings
from tasks.core.contract import validate_frame

CONFIG = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")
ODD = [
    " Yes",
    "No ",
    "",
    "1.0",
    "0.0",
    "nan",
    "Bitcoin",
    " 12 ",
    "abc",
    "1e3",
    "  ",
    "7.50",
    "-3",
    "99999999999999999999",
    "inf",
    "1,5",
    "\\N",
]


def _messy(rows: int = 3000) -> pd.DataFrame:
    raw = generate_customers(rows, seed=5).astype(str)
    rng = np.random.default_rng(0)
    for column in [
        "Partner",
        "SeniorCitizen",
        "tenure",
        "TotalCharges",
        "MonthlyCharges",
        "Contract",
        "customerID",
        "PaymentMethod",
    ]:
        rows_hit = rng.choice(len(raw), 60, replace=False)
        raw.loc[rows_hit, column] = rng.choice(ODD, 60)
        raw.loc[rows_hit[:5], column] = np.nan
    return raw


def _as_categories(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.astype({c: "category" for c in raw.columns if c != "customerID"})


def test_category_columns_coerce_like_their_text():
    raw = _messy()
    compact = _as_categories(raw)
    text, cat = coerce_frame(raw, CONFIG.dataset), coerce_frame(compact, CONFIG.dataset)
    pd.testing.assert_frame_equal(text.frame, cat.frame)
    for name in text.unparseable:
        pd.testing.assert_series_equal(text.unparseable[name], cat.unparseable[name])
    for name in text.filled:
        pd.testing.assert_series_equal(text.filled[name], cat.filled[name])
    reasons_text, findings_text = row_findings(raw, text, CONFIG.dataset)
    reasons_cat, findings_cat = row_findings(compact, cat, CONFIG.dataset)
    pd.testing.assert_series_equal(reasons_text, reasons_cat)
    assert [(f.key, f.rows, f.values.tolist()) for f in findings_text] == [
        (f.key, f.rows, f.values.tolist()) for f in findings_cat
    ]


def test_validation_of_category_columns_matches_text_columns():
    raw = _messy()
    raw = raw[~raw["customerID"].isin(ODD) & raw["customerID"].notna()]
    raw = raw.drop_duplicates("customerID")
    bad_share = {"max_quarantine_share": 0.5, "max_unparseable_share": 0.9}
    config = CONFIG.model_copy(
        update={"validation": CONFIG.validation.model_copy(update=bad_share)}
    )
    text = validate_frame(raw, config, "scoring")
    cat = validate_frame(_as_categories(raw), config, "scoring")
    pd.testing.assert_frame_equal(text.clean, cat.clean)
    pd.testing.assert_frame_equal(text.quarantined.astype(object), cat.quarantined.astype(object))
    assert text.reason_counts == cat.reason_counts and text.filled == cat.filled


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([np.nan] * 4, dtype="category"),
        pd.Series([1, 2, np.nan, 1.5], dtype="category"),
        pd.Series([" a", "b ", None, ""], dtype="category"),
    ],
)
def test_text_and_numbers_of_odd_categories(series):
    pd.testing.assert_series_equal(as_text(series), as_text(series.astype(object)))
    for mine, theirs in zip(
        parse_numbers(series), parse_numbers(series.astype(object)), strict=True
    ):
        pd.testing.assert_series_equal(mine, theirs)


def test_copy_text_columns_give_read_csv_values():
    names = ["id", "plan", "charges", "note"]
    rows = [f"c{i},{'Yes' if i % 3 else 'No'},{i % 7}.5,x\n" for i in range(40)]
    data = "".join(rows) + 'c40,\\N,"",\n' + 'c41,"\\N","a ""q""\nnext",\n'
    table = batches.compact(parse_copy_csv(io.BytesIO(data.encode()), names, frozenset()))
    frame = batches.to_frame(table)
    expected = pd.read_csv(
        io.BytesIO((",".join(names) + "\n" + data).encode()),
        dtype=str,
        keep_default_na=False,
        na_values=["\\N"],
    )
    assert list(frame.columns) == names
    pd.testing.assert_frame_equal(frame.astype(object), expected.astype(object))
    assert isinstance(frame["plan"].dtype, pd.CategoricalDtype)  # repetitive: stored once
    assert frame["id"].dtype == object  # all distinct: plain text
    assert frame["plan"].isna().tolist()[-2:] == [True, True]  # NULL and a quoted \\N
    assert frame["charges"].tolist()[-2:] == ["", 'a "q"\nnext']


def test_copy_text_columns_of_an_empty_table():
    import pyarrow as pa

    empty = pa.table({name: pa.array([], pa.string()) for name in ["a", "b"]})
    frame = batches.to_frame(batches.compact(empty))
    assert list(frame.columns) == ["a", "b"] and len(frame) == 0
    assert all(dtype == np.dtype(object) for dtype in frame.dtypes)


def test_text_is_stripped_exactly_as_str_strip():
    """Arrow picks the values to strip; every whitespace str.strip knows, and only those."""
    from tasks.core.coercion import WHITESPACE

    rng = np.random.default_rng(0)
    pool = ["a", "b c", " x", "y ", "\t", "", "\u3000z\u3000", "\x1cq", "é ", "\x85k", "\u200bw"]
    pool += WHITESPACE
    values = ["".join(rng.choice(pool, size=rng.integers(0, 4))) for _ in range(20_000)]
    series = pd.Series([v if i % 17 else np.nan for i, v in enumerate(values)], dtype=object)
    expected = series.str.strip()
    expected = expected.mask(expected.eq(""), np.nan)
    pd.testing.assert_series_equal(as_text(series), expected)
    assert "\u200b" not in WHITESPACE  # zero-width space: not whitespace to Python either


def test_a_pickled_chunk_carries_its_own_rows_only():
    """A task runner in other processes gets one chunk's rows, not the whole table."""
    import pickle

    table = batches.from_frame(generate_customers(20_000, seed=5).astype(str))
    pieces = list(batches.slices(batches.compact(table), 4_000))
    assert [p.table.num_rows for p in pieces] == [4_000] * 5
    sent = pickle.dumps(pieces[2])
    assert len(sent) < len(pickle.dumps(pieces[2].table)) / 3
    back = pickle.loads(sent)
    assert back.table.equals(pieces[2].table)
    pd.testing.assert_frame_equal(batches.to_frame(back.table), batches.to_frame(pieces[2].table))
