"""Delayed outcomes: which scored customers churned, read the same way training reads labels."""

from __future__ import annotations

import pandas as pd

from configs.dataset import Dataset
from tasks.core.coercion import as_text
from tasks.core.errors import ConfigError, InvalidInputError
from tasks.core.labels import churned
from tasks.i18n import N_


def read_outcomes(raw: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """customer_id (canonical text), churned (0/1) and, when the file has it, as_of (a date).

    Labels are read like training labels (1/0, 1.0/0.0, true/false, yes/no in any case);
    rows without a label are dropped. One clear InvalidInputError for anything else."""
    if dataset.id_column is None:
        raise ConfigError("outcomes need dataset.id_column to find the customers' scores")
    target = dataset.target
    missing = [c for c in (dataset.id_column, target.column) if c not in raw.columns]
    if missing:
        raise InvalidInputError(N_("outcomes lack columns %(missing)s"), missing=missing)
    try:
        labels = churned(raw[target.column], target)
    except ValueError as exc:
        raise InvalidInputError(
            N_("outcomes column %(column)r: %(reason)s"), column=target.column, reason=str(exc)
        ) from None
    ids = as_text(raw[dataset.id_column])
    known = pd.DataFrame({"customer_id": ids, "churned": labels})
    if "as_of" in raw.columns:
        try:
            known["as_of"] = pd.to_datetime(raw["as_of"]).dt.date
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(
                N_("outcomes column 'as_of' holds a value that is not a date: %(reason)s"),
                reason=str(exc),
            ) from None
    known = known[known["churned"].notna() & known["customer_id"].notna()]
    return known.assign(churned=known["churned"].astype(int)).reset_index(drop=True)
