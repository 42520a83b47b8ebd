"""Every Telco customer through POST /predict equals the logged pipeline's predict_proba."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from serving_helpers import bearer, make_tokens, serving_settings, small_config, train, with_serving

pytestmark = pytest.mark.telco


def _raw_records(raw: pd.DataFrame, config) -> list[dict]:
    """The file's rows as a client would send them: blanks as null, numbers as numbers."""
    data = config.dataset
    records = []
    for row in raw.to_dict("records"):
        record = {data.id_column: row[data.id_column]}
        for name, rule in data.numeric.items():
            text = row[name].strip()
            record[name] = None if not text else int(text) if rule.integer else float(text)
        record.update({name: row[name] for name in data.categorical})
        records.append(record)
    return records


def test_every_telco_customer_matches_predict_proba(telco_csv, tmp_path):
    from fastapi.testclient import TestClient

    from configs.schema import load_config
    from configs.settings import Settings
    from serving.app import create_app
    from tasks.adapters import registry
    from tasks.core.contract import validate_frame

    config_path = small_config(tmp_path)
    version = train(tmp_path, config_path, telco_csv)["version"]
    config = load_config(config_path)
    raw = pd.read_csv(telco_csv, dtype=str, keep_default_na=False)
    clean = validate_frame(raw, config, "scoring").clean
    assert len(clean) == len(raw)  # the reference file passes its contract
    settings = Settings(state_dir=tmp_path)
    registry.configure(settings)
    pipeline = registry.load_pipeline(settings.model_name(config), version)
    expected = pipeline.predict_proba(clean[config.dataset.feature_columns])[:, 1]

    app = create_app(with_serving(settings, serving_settings()), config_path)
    with TestClient(app) as client:
        headers = bearer(make_tokens(app.state.serving.engine)["app"])
        records = _raw_records(raw.drop(columns=[config.dataset.target.column]), config)
        served = {}
        for start in range(0, len(records), 1000):
            response = client.post("/predict", json=records[start : start + 1000], headers=headers)
            assert response.status_code == 200, response.text[:500]
            assert response.json()["model"]["version"] == version
            served.update(
                (p["customer_id"], p["churn_probability"]) for p in response.json()["predictions"]
            )
    got = np.array([served[c] for c in clean[config.dataset.id_column]])
    assert len(served) == len(raw) == 7043
    assert np.max(np.abs(got - expected)) <= 1e-6
