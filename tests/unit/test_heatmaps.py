"""Heatmap figures: counted per chunk, added up per run, the same as one count of all rows,
and the tenure bands named as the messages name them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.schema import load_config
from data.generate import generate_customers
from tasks.core.contract import validate_frame
from tasks.core.heatmaps import heatmap_counts, heatmap_tables, joined_heatmaps
from tasks.core.message_facts import duration_edges, tenure_band

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scored():
    config = load_config(REPO / "configs" / "telco.yaml")
    clean = validate_frame(generate_customers(3000, seed=2), config, "scoring").clean
    probability = np.random.default_rng(2).uniform(0, 1, len(clean))
    return config, clean.reset_index(drop=True), probability


def test_chunks_add_up_to_one_count_and_match_a_direct_groupby(scored):
    config, clean, probability = scored
    whole = heatmap_tables(joined_heatmaps([heatmap_counts(clean, probability, config)]))
    parts = [
        heatmap_counts(clean.iloc[i : i + 700], probability[i : i + 700], config)
        for i in range(0, len(clean), 700)
    ]
    assert heatmap_tables(joined_heatmaps(parts)) == whole
    assert set(whole) == {
        "Contract x tenure band",
        "InternetService x PaymentMethod",
        "Contract x InternetService",
    }
    table = whole["InternetService x PaymentMethod"]
    churned = (clean["Churn"].astype(str) == "Yes").astype(float)
    direct = pd.DataFrame(
        {
            "r": clean["InternetService"].astype(str),
            "c": clean["PaymentMethod"].astype(str),
            "y": churned,
            "p": probability,
        }
    ).groupby(["r", "c"])
    i, j = table["rows"].index("Fiber optic"), table["columns"].index("Electronic check")
    assert table["churn_rate"][i][j] == pytest.approx(
        direct["y"].mean()[("Fiber optic", "Electronic check")], abs=1e-6
    )
    assert table["mean_score"][i][j] == pytest.approx(
        direct["p"].mean()[("Fiber optic", "Electronic check")], abs=1e-6
    )
    assert sum(map(sum, table["customers"])) == len(clean)


def test_tenure_bands_are_named_as_in_messages(scored):
    config, clean, probability = scored
    table = heatmap_tables(joined_heatmaps([heatmap_counts(clean, probability, config)]))
    edges = duration_edges(config)
    expected = sorted({tenure_band(m, edges) for m in clean["tenure"]})
    assert table["Contract x tenure band"]["columns"] == expected


def test_without_labels_there_is_no_churn_rate(scored):
    config, clean, probability = scored
    unlabelled = clean.drop(columns="Churn")
    tables = heatmap_tables(heatmap_counts(unlabelled, probability, config))
    assert all(t["churn_rate"] is None for t in tables.values())
    assert all(t["mean_score"] for t in tables.values())
