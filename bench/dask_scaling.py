"""Scoring on a Dask cluster of separate processes: one worker against two, in the same run.

Prepares like bench/batch_scoring.py (customers in a PostgreSQL table, a champion trained on
generated data or `--champion-state`'s, what was loaded vacuumed), starts a Prefect server
(unless PREFECT_API_URL names one), then for one and for two `dask worker` processes (one
thread each, `--memory-limit`) behind one `dask scheduler`: starts the cluster, runs the
scoring flow pointed at it (RETAINAI_DASK_ADDRESS) in a fresh process, first on 1,000
customers of another period (the warm-up a long-lived cluster has had: Prefect clients, first
task runs), then on the whole table, timed. Each measured run scores a fresh period; its rows
are deleted and the table vacuumed before the next one. Prints one JSON object. On a machine
with fewer cores than processes (the flow's client, the workers, PostgreSQL) the ratio shows
contention as much as scaling.

    python bench/dask_scaling.py --rows 3000000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/retainai_dask_bench
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AS_OF = {1: "2026-02-01", 2: "2026-03-01"}


def score(args) -> dict:
    """One warm-up run and one timed run on the cluster at RETAINAI_DASK_ADDRESS."""
    from bench.batch_scoring import CONFIG
    from flows.score import score_customers_flow

    def run(table: str, as_of: str) -> tuple[float, dict]:
        started = time.perf_counter()
        summary = score_customers_flow(str(CONFIG), args.database_url, table=table, as_of=as_of)
        return time.perf_counter() - started, summary

    warm_up, _ = run(f"{args.table}_warm_up", f"2025-12-{10 + args.workers:02d}")
    seconds, summary = run(args.table, AS_OF[args.workers])
    return {"seconds": seconds, "rows": summary["rows_scored"], "warm_up_seconds": warm_up}


@contextlib.contextmanager
def prefect_server(state: Path):
    """A Prefect API server of its own (the workers report their task runs to it), unless
    PREFECT_API_URL names one already."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    from bench.dask_processes import free_port

    port = free_port()
    log = (state / "prefect-server.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-services",
            "--no-ui",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=os.environ.copy(),
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/health", timeout=2) as answer,
            ):
                if answer.status == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the Prefect server did not start; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _child(step: str, workers: int, address: str = "") -> dict:
    command = [sys.executable, __file__, "--step", step, "--workers", str(workers), *sys.argv[1:]]
    env = os.environ | {"RETAINAI_DASK_ADDRESS": address, "PYTHONPATH": str(REPO)}
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{step} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/retainai_dask_bench",
    )
    parser.add_argument("--memory-limit", default="3GiB", help="per worker process")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--family", default="blend", help="as in bench/batch_scoring.py")
    parser.add_argument("--table", default="bench_customers")
    parser.add_argument("--state", default=None, help="state folder (default: a temporary one)")
    parser.add_argument("--champion-state", help="as in bench/batch_scoring.py")
    parser.add_argument("--step", choices=["prepare", "score"], help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    sys.path.insert(0, str(REPO))
    args = _arguments()
    if args.step:
        from bench.batch_scoring import prepare

        if args.step == "prepare":
            prepare(args)
        print(json.dumps(score(args) if args.step == "score" else {}))
        return 0

    from bench.batch_scoring import forget, use_state
    from bench.dask_processes import dask_cluster

    state = use_state(args, "retainai-dask-bench-")
    load_before = os.getloadavg()
    with prefect_server(state) as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        _child("prepare", 0)
        measured = {}
        for workers in (1, 2):
            with dask_cluster(state / f"dask-{workers}", workers, args.memory_limit) as address:
                measured[workers] = _child("score", workers, address)
            forget(args, AS_OF[workers])
    one, two = measured[1], measured[2]
    print(
        json.dumps(
            {
                "rows": one["rows"],
                "one_worker_seconds": round(one["seconds"], 2),
                "two_workers_seconds": round(two["seconds"], 2),
                "one_worker_customers_per_second": round(one["rows"] / one["seconds"]),
                "two_workers_customers_per_second": round(two["rows"] / two["seconds"]),
                "two_vs_one_speedup": round(one["seconds"] / two["seconds"], 3),
                "warm_up_seconds": {
                    "one": round(one["warm_up_seconds"], 2),
                    "two": round(two["warm_up_seconds"], 2),
                },
                "worker": {"threads": 1, "memory_limit": args.memory_limit},
                "cores": len(os.sched_getaffinity(0)),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "seed": args.seed,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
