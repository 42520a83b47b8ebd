"""Dashboard page times on a million scored customers in PostgreSQL.

Prepares the batch benchmark's customers and champion (`batch_scoring.py --step prepare`),
scores them with the scoring flow (`--step ours`), then serves the app (uvicorn on loopback,
one worker) and times `--requests` requests of each page as a logged-in user, sequentially:
the overview, the customers list (first page, a page half a million rows deep by its keyset
link, a filtered page, a page sorted by customer id), a customer page and the heatmaps. The
baseline, in the same run: the first page read through the `current_scores` view that ranks
every row (how lists were read before). Prints one JSON object with p50 and p95 per page.
With `--champion-state DIR` the champion registered in that state folder scores them (no
training).

    python bench/dashboard.py --rows 1000000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/retainai_bench
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)  # bench/serving.py is not the `serving` package
CONFIG = REPO / "configs" / "telco.yaml"
TARGET_P95_MS = 150.0
PASSWORD = "dashboard bench passphrase"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _step(args, step: str, state: Path) -> None:
    command = [
        sys.executable,
        str(REPO / "bench" / "batch_scoring.py"),
        "--step",
        step,
        "--rows",
        str(args.rows),
        "--database-url",
        args.database_url,
        "--seed",
        str(args.seed),
        "--state",
        str(state),
        *(["--champion-state", args.champion_state] if args.champion_state else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        raise SystemExit(f"{step} failed:\n{done.stderr[-4000:]}")


def _log_in(client, email: str) -> None:
    """Log in with the login form as a browser does: the page's token sent back with it."""
    import re

    page = client.get("/auth/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    form = {"email": email, "password": PASSWORD, "login_token": token.group(1) if token else ""}
    answer = client.post("/auth/login", data=form)
    if answer.status_code != 303:  # a session: sent on to the dashboard
        raise SystemExit(f"login refused: {answer.status_code} {answer.text[:300]}")


def _times(client, path: str, requests: int) -> dict[str, float]:
    spent = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        spent.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
    return {
        "p50_ms": round(float(np.percentile(spent, 50)), 2),
        "p95_ms": round(float(np.percentile(spent, 95)), 2),
    }


def _deep_link(engine, rows: int) -> str:
    """The keyset link of the page that starts half way down the list by churn score (the
    row before it read as the customers list orders them)."""
    from tasks.adapters.retention_store import list_customers

    depth = rows // 2
    (last,) = list_customers(engine, "telco", "churn_score", "desc", 1, depth - 1, None)
    after = f"{last['churn_probability']!r}:{last['customer_id']}"
    return f"/dashboard/customers?offset={depth}&after={after}"


def _view_first_page(engine, repeats: int = 5) -> float:
    """The baseline: the first page by score through the view that ranks every row (ms)."""
    import sqlalchemy as sa

    query = sa.text(
        "SELECT customer_id, churn_probability FROM current_scores WHERE dataset = 'telco' "
        "ORDER BY churn_probability DESC NULLS LAST, customer_id LIMIT 51"
    )
    spent = []
    with engine.connect() as connection:
        for _ in range(repeats):
            started = time.perf_counter()
            connection.execute(query).fetchall()
            spent.append((time.perf_counter() - started) * 1000)
    return round(float(np.median(spent)), 1)


def measure(args, state: Path) -> dict:
    import httpx
    import uvicorn

    from configs.settings import ServingSettings, Settings
    from serving.app import create_app
    from tasks.services import accounts

    settings = Settings(serving=ServingSettings(poll_seconds=0))
    app = create_app(settings, CONFIG)
    engine = app.state.serving.engine
    email = f"bench-{time.time_ns()}@example.test"
    accounts.create_user(app.state.serving.context, accounts.NewUser(email, "viewer", PASSWORD))
    port = args.port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            _log_in(client, email)
            first = client.get("/dashboard/customers").text
            customer = first.split('href="/dashboard/customers/')[1].split('"')[0]
            pages = {
                "overview": "/dashboard/",
                "customers_first_page": "/dashboard/customers",
                "customers_deep_page": _deep_link(engine, args.rows),
                "customers_filtered": "/dashboard/customers?risk=high&value=Month-to-month",
                "customers_filtered_rare": "/dashboard/customers?risk=medium&value=Two+year"
                "&min=0.4",  # few such customers: many index entries are read past
                "customers_sorted_by_id": "/dashboard/customers?sort=customer_id&order=asc",
                "customer": f"/dashboard/customers/{customer}",
                "heatmaps": "/dashboard/heatmaps",
            }
            figures = {name: _times(client, path, args.requests) for name, path in pages.items()}
        baseline = _view_first_page(engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    worst = max(f["p95_ms"] for f in figures.values())
    return {
        "rows": args.rows,
        "requests_per_page": args.requests,
        "pages": figures,
        "view_first_page_ms": baseline,
        "worst_p95_ms": worst,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": worst <= TARGET_P95_MS,
    }


def main() -> None:
    from bench.batch_scoring import CHAMPION_STATE_HELP, use_champion_of
    from flows.cli import quiet_runtime_defaults

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/retainai_bench"
    parser.add_argument("--database-url", default=url)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=0, help="the app's port (default: a free one)")
    parser.add_argument("--champion-state", help=CHAMPION_STATE_HELP)
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="retainai-bench-dashboard-"))
    os.environ["RETAINAI_STATE_DIR"] = str(state)
    os.environ["RETAINAI_DATABASE_URL"] = args.database_url
    use_champion_of(args.champion_state)
    quiet_runtime_defaults(state)
    _step(args, "prepare", state)
    _step(args, "ours", state)  # the scoring flow: a million scores, their KPIs and heatmaps
    print(json.dumps(measure(args, state), indent=2))


if __name__ == "__main__":
    main()
