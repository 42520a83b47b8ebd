"""Helpers of the serving tests: configs, training, tokens, customers and stored scores."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from data.generate import generate_customers

REPO = Path(__file__).resolve().parents[2]
ROLES = ("app", "viewer", "analyst", "admin")
FAMILIES = {
    "logistic_regression": {"grid": {"C": [1.0]}},
    "lightgbm": {"grid": {"n_estimators": [60], "num_leaves": [8], "learning_rate": [0.05]}},
    "blend": {"grid": {"weight": [0.5]}},
}


def small_config(folder: Path, name: str = "config", families: dict | None = None) -> Path:
    """The Telco config with one grid point per family and test-sized gates."""
    raw = yaml.safe_load((REPO / "configs" / "telco.yaml").read_text())
    raw["model"]["cv_folds"] = 3
    raw["model"]["families"] = families or FAMILIES
    raw["quality_gates"] = {"min_roc_auc": 0.6, "max_brier": 0.25, "min_lift_at_10": 1.2}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def train(state: Path, config: Path, data: Path, champion: bool = True) -> dict:
    """A model fitted and registered into `state` without Prefect: validated, tuned by CV,
    logged with its holdout figures and made champion (or left a challenger)."""
    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.adapters import registry
    from tasks.adapters.sources import read_source
    from tasks.core import modeling
    from tasks.core.card_text import markdown
    from tasks.core.contract import validate_frame
    from tasks.core.evaluation import evaluate
    from tasks.services.models import cards
    from tasks.train import tune_and_fit

    settings, run_config = Settings(state_dir=state), load_config(config)
    experiment = registry.configure(settings)
    clean = validate_frame(read_source(str(data), settings=settings), run_config, "training").clean
    split = modeling.split_holdout(clean, run_config)
    model = tune_and_fit.fn(run_config, split, None)
    probabilities = model.pipeline.predict_proba(split.holdout_features)[:, 1]
    result = evaluate(split.holdout_target, probabilities, model.threshold, "holdout")
    with registry.training_run(experiment, "serving-test", {}) as run_id:
        uri = registry.log_model(run_id, model.pipeline, split.holdout_features.head(5))
    tags = {
        "model_family": model.family,
        "threshold": f"{model.threshold:.6f}",
        "holdout_metrics": json.dumps({k: round(v, 6) for k, v in result.metrics().items()}),
        "cv_roc_auc_mean": f"{model.cv_roc_auc_mean:.6f}",
    }
    name = settings.model_name(run_config)
    digest = hashlib.sha256(Path(data).read_bytes()).hexdigest()[:8]
    described = {"source": str(data), "digest": digest, "inputs": digest}
    facts = cards.card_facts(run_config, model, result, clean, 0, described, "")
    facts = facts.decided("passed: first model to pass the quality gates" if champion else "")
    version = registry.register(uri, name, facts.to_tags() | tags, markdown(facts))
    if champion:
        registry.set_alias(name, registry.CHAMPION, version)
    return {"version": version, "promoted": champion, "family": model.family}


@dataclass(frozen=True)
class Champion:
    state: Path
    config: Path
    data: Path
    version: str

    @property
    def settings(self):
        from configs.settings import Settings

        return Settings(state_dir=self.state)

    @property
    def run_config(self):
        from configs.schema import load_config

        return load_config(self.config)


def serving_settings(**overrides):
    from configs.settings import ServingSettings

    defaults = {"poll_seconds": 0, "token_cache_seconds": 0, "gc_freeze": False}
    return ServingSettings(**{**defaults, **overrides})


def make_tokens(engine, tag: str = "") -> dict[str, str]:
    """One fresh token per role; names are unique so fixtures can share a database."""
    from tasks.adapters import tokens

    stamp = f"{tag}{time.time_ns()}"
    return {role: tokens.create(engine, f"test-{role}-{stamp}", role) for role in ROLES}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_records(frame: pd.DataFrame, config) -> list[dict]:
    """Validated customer rows as JSON records for POST /predict."""
    data = config.dataset
    records = []
    for row in frame.to_dict("records"):
        record = {data.id_column: str(row[data.id_column])}
        for name, rule in data.numeric.items():
            record[name] = int(row[name]) if rule.integer else float(row[name])
        record.update({name: str(row[name]) for name in data.categorical})
        records.append(record)
    return records


def customers(config, rows: int, seed: int) -> tuple[pd.DataFrame, list[dict]]:
    """Generated customers validated like scoring input: the typed frame and API records."""
    from tasks.core.contract import validate_frame

    raw = generate_customers(max(rows, config.validation.min_rows), seed=seed).astype(str)
    clean = validate_frame(raw, config, "scoring").clean.head(rows)
    return clean, api_records(clean, config)


def seed_scores(engine, rows: int = 40) -> list[str]:
    """Two scoring dates of customer scores and a KPI snapshot per date; returns the ids."""
    from tasks.adapters.tables import customer_scores, kpi_snapshots

    rng = np.random.default_rng(3)
    ids = [f"C{i:04d}" for i in range(rows)]
    records, now = [], datetime.now(UTC)
    for as_of in (date(2026, 10, 1), date(2026, 11, 1)):
        for i, customer_id in enumerate(ids):
            p = float(rng.random())
            records.append(
                {
                    "dataset": "telco",
                    "customer_id": customer_id,
                    "as_of": as_of,
                    "model_version": "1",
                    "churn_probability": p,
                    "risk_segment": "high" if p >= 0.6 else "medium" if p >= 0.3 else "low",
                    "top_reasons": [{"feature": "tenure", "value": 3.0, "contribution": 0.4}],
                    "monthly_value": float(20 + i),
                    "segment_value": "Month-to-month",
                    "expected_remaining_months": 12.0,
                    "lifetime_value": None if i % 7 == 0 else float(100 + 10 * i),
                    "scored_at": now,
                    "run_id": f"run-{as_of}",
                }
            )
    with engine.begin() as connection:
        connection.execute(customer_scores.insert(), records)
        for as_of in (date(2026, 10, 1), date(2026, 11, 1)):
            connection.execute(
                kpi_snapshots.insert().values(
                    dataset="telco",
                    as_of=as_of,
                    model_version="1",
                    kpis={"customers_scored": rows, "as_of": str(as_of)},
                    run_id=f"run-{as_of}",
                    created_at=now,
                )
            )
    return ids


def body(payload) -> bytes:
    return json.dumps(payload).encode()


PAGE_PASSWORD = "dashboard test passphrase"


def add_users(ctx, roles: dict[str, str]) -> None:
    """Dashboard users (email -> role) with PAGE_PASSWORD, unless they exist (`ctx`: the
    server's Context)."""
    from tasks.adapters import users
    from tasks.services import accounts

    for email, role in roles.items():
        if users.user_by_email(ctx.engine, email) is None:
            accounts.create_user(ctx, accounts.NewUser(email, role, PAGE_PASSWORD))


def form_login(client, email: str, password: str, **form):
    """Log in with the login page's form as a browser does: open the page (its token cookie
    is kept by the client), then post the form with the page's token (the cookie's, when a
    session already sends the page on)."""
    import re

    page = client.get("/auth/login", follow_redirects=False)
    found = re.search(r'name="login_token" value="([^"]+)"', page.text)
    token = found.group(1) if found else client.cookies.get("retainai_login")
    data = {"email": email, "password": password, **({"login_token": token} if token else {})}
    data.update(form)
    return client.post("/auth/login", data=data, follow_redirects=False)


def page_login(client, email: str, path: str) -> str:
    """Log in as `email`, open `path` and return the page's CSRF token ('' if it has none)."""
    import re

    client.cookies.clear()
    _forget_failed_logins(client)
    form_login(client, email, PAGE_PASSWORD)
    page = client.get(path)
    assert page.status_code == 200
    assert "/auth/login" not in str(page.url), f"{email} could not log in"
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def _forget_failed_logins(client) -> None:
    """The tests of a worker share one database and one client address ("testclient"): the
    wrong passwords other tests sent on purpose (fuzzing the login) would make this login
    wait, as they would for a person after them. Time passes: they are forgotten."""
    import sqlalchemy as sa

    engine = client.app.state.serving.engine
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM login_attempts WHERE NOT succeeded"))


def with_serving(settings, serving):
    """`settings` with its `serving` section replaced (what create_app reads)."""
    return settings.model_copy(update={"serving": serving})


def idle_jobs(engine) -> None:
    """Every queued or running job cancelled: apps of one test worker share the champion's
    database, so no test's worker takes another test's work."""
    import sqlalchemy as sa

    with engine.begin() as connection:
        if sa.inspect(connection).has_table("jobs"):
            connection.execute(
                sa.text("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running')")
            )


def run_jobs(state) -> int:
    """The jobs waiting now, run by the real jobs worker in this process (its flow runs in
    child processes); how many it ran."""
    from tasks.services.jobs.worker import Worker

    worker = Worker(state.context, state.config)
    ran = 0
    while worker.run_once():
        ran += 1
    return ran


def upload_checked(client, token: str, name: str, content: bytes, kind: str = "text/csv"):
    """Upload a file on the data page and have the jobs worker check it: the page that shows
    its verdict (or, for a file refused at once, the refusal)."""
    files = {"file": (name, content, kind)}
    page = client.post("/dashboard/data", data={"csrf_token": token}, files=files)
    if "upload=" not in str(page.url):
        return page
    run_jobs(client.app.state.serving)
    return client.get(str(page.url))
