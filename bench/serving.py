"""Serving speed: our API against `mlflow models serve` on the same registered champion.

Trains a champion on generated customers into a temporary state folder (or uses --state-dir),
starts both servers on free loopback ports (one worker each), drives them with the same
requests from an asyncio raw HTTP/1.1 keep-alive client for --seconds per scenario
(single customers at concurrency 1 and 8, then 100-customer batches), checks probabilities
against the pipeline's predict_proba, and prints one JSON object. The load generator shares
the machine's cores with the servers.

    python bench/serving.py [--seconds 10] [--seed 42] [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
MODEL = "retainai-churn"
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)  # this file is bench/serving.py: let `serving` be the package


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def quick_config(folder: Path) -> Path:
    """The Telco config with one grid point per family, 3 folds and test-sized gates."""
    raw = yaml.safe_load((REPO / "configs" / "telco.yaml").read_text())
    raw["model"]["cv_folds"] = 3
    for family in raw["model"]["families"].values():
        family["grid"] = {key: values[-1:] for key, values in family.get("grid", {}).items()}
    raw["quality_gates"] = {"min_roc_auc": 0.6, "max_brier": 0.25, "min_lift_at_10": 1.2}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def train(state: Path, config: Path, rows: int, seed: int, env: dict) -> None:
    from data.generate import generate_customers, write_customers

    data = state / "customers.csv"
    write_customers(generate_customers(rows, seed=seed), data)
    command = [sys.executable, "-m", "flows", "train", "--config", str(config), "--data", str(data)]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=900)


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


def post(port: int, path: str, body: bytes, headers: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body,
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def raw_request(port: int, path: str, body: bytes, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"content-length:")
    if at >= 0:
        await reader.readexactly(int(lower[at + 15 : lower.index(b"\r\n", at)]))
        return status
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return status


async def _drive(port: int, payloads: list[bytes], concurrency: int, seconds: float):
    latencies: list[float] = []
    errors = [0]

    async def connection(offset: int, until: float, record: bool) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        try:
            while time.perf_counter() < until:
                payload = payloads[i % len(payloads)]
                i += 1
                began = time.perf_counter()
                writer.write(payload)
                status = await _read_response(reader)
                if record:
                    latencies.append(time.perf_counter() - began)
                    errors[0] += status != 200
        finally:
            writer.close()

    warm = time.perf_counter() + min(1.0, seconds / 5)
    await asyncio.gather(*(connection(k * 97, warm, False) for k in range(concurrency)))
    began = time.perf_counter()
    until = began + seconds
    await asyncio.gather(*(connection(k * 97, until, True) for k in range(concurrency)))
    return latencies, errors[0], time.perf_counter() - began


def scenario(port, payloads, concurrency, seconds, per_request=1) -> dict:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    latencies, errors, elapsed = runner(_drive(port, payloads, concurrency, seconds))
    ms = np.asarray(latencies) * 1000
    rps = len(ms) / elapsed
    out = {
        "concurrency": concurrency,
        "requests": len(ms),
        "errors": errors,
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "rps": round(rps, 1),
    }
    if per_request > 1:
        out["customers_per_s"] = round(rps * per_request, 1)
    return out


def customers(config_path: Path, rows: int, seed: int):
    """Validated generated customers: the typed frame and its JSON records for our API."""
    from configs.schema import load_config
    from data.generate import generate_customers
    from tasks.core.contract import validate_frame

    config = load_config(config_path)
    raw = generate_customers(rows, seed=seed).astype(str)
    clean = validate_frame(raw, config, "scoring").clean
    data = config.dataset
    records = []
    for row in clean.to_dict("records"):
        record = {data.id_column: row[data.id_column]}
        for name, rule in data.numeric.items():
            record[name] = int(row[name]) if rule.integer else float(row[name])
        record.update({name: str(row[name]) for name in data.categorical})
        records.append(record)
    return clean[data.feature_columns], records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--state-dir", type=Path, help="use this state's champion (no training)")
    parser.add_argument("--rows", type=int, default=3000, help="generated training customers")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    temporary = args.state_dir is None
    state = Path(tempfile.mkdtemp(prefix="bench-serving-")) if temporary else args.state_dir
    state = state.resolve()
    config = quick_config(state) if temporary else REPO / "configs" / "telco.yaml"
    env = {
        **os.environ,
        "RETAINAI_STATE_DIR": str(state),
        "RETAINAI_SERVING_CONFIG": str(config),
        "PREFECT_HOME": str(state / "prefect"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{state / 'mlflow.db'}",
        "MLFLOW_REGISTRY_URI": f"sqlite:///{state / 'mlflow.db'}",  # whatever the caller set
        "PYTHONPATH": str(REPO),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    names = ("RETAINAI_STATE_DIR", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
    os.environ.update({k: env[k] for k in names})
    processes: list[subprocess.Popen] = []
    try:
        if temporary:
            train(state, config, args.rows, args.seed, env)
        from configs.settings import Settings
        from tasks.adapters import registry
        from tasks.services import accounts
        from tasks.services.context import Context

        settings = Settings()
        registry.configure(settings)
        champion = registry.version_by_alias(MODEL, registry.CHAMPION)
        pipeline = registry.load_pipeline(MODEL, champion.version)
        # a predict-only token, as `retainai tokens create` makes one
        ctx = Context(settings)
        accounts.ensure_store(ctx)
        token = accounts.create_token(ctx, accounts.NewToken(f"bench-{time.time_ns()}", "app"))

        ours, theirs = free_port(), free_port()
        processes.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "serving.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ours),
                    "--workers",
                    "1",
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env,
                state / "ours.log",
            )
        )
        processes.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "mlflow",
                    "models",
                    "serve",
                    "-m",
                    f"models:/{MODEL}@champion",
                    "--env-manager",
                    "local",
                    "--host",
                    "127.0.0.1",
                    "-p",
                    str(theirs),
                    "--workers",
                    "1",
                ],
                env,
                state / "mlflow.log",
            )
        )
        wait_ready(f"http://127.0.0.1:{ours}/ready", processes[0])
        wait_ready(f"http://127.0.0.1:{theirs}/ping", processes[1])

        frame, records = customers(config, 2000, args.seed + 1)
        expected = pipeline.predict_proba(frame)[:, 1]
        auth = {"Authorization": f"Bearer {token}"}
        served, mlflow_served = [], []
        for i in range(0, len(records), args.batch):
            part = records[i : i + args.batch]
            answer = post(ours, "/predict", json.dumps(part).encode(), auth)
            served += [p["churn_probability"] for p in answer["predictions"]]
            body = json.dumps(
                {"dataframe_records": frame.iloc[i : i + args.batch].to_dict("records")}
            )
            mlflow_served += [
                p[1] for p in post(theirs, "/invocations", body.encode(), {})["predictions"]
            ]

        single = [raw_request(ours, "/predict", json.dumps(r).encode(), token) for r in records]
        single_ml = [
            raw_request(
                theirs, "/invocations", json.dumps({"dataframe_records": [r]}).encode(), None
            )
            for r in frame.to_dict("records")
        ]
        batches = [
            raw_request(ours, "/predict", json.dumps(records[i : i + args.batch]).encode(), token)
            for i in range(0, len(records) - args.batch + 1, args.batch)
        ]
        batches_ml = [
            raw_request(
                theirs,
                "/invocations",
                json.dumps(
                    {"dataframe_records": frame.iloc[i : i + args.batch].to_dict("records")}
                ).encode(),
                None,
            )
            for i in range(0, len(records) - args.batch + 1, args.batch)
        ]
        results = {"ours": {}, "mlflow": {}}
        for concurrency in (1, 8):
            results["ours"][f"single_c{concurrency}"] = scenario(
                ours, single, concurrency, args.seconds
            )
            results["mlflow"][f"single_c{concurrency}"] = scenario(
                theirs, single_ml, concurrency, args.seconds
            )
        for concurrency in (1, 8):
            key = f"batch{args.batch}_c{concurrency}"
            results["ours"][key] = scenario(ours, batches, concurrency, args.seconds, args.batch)
            results["mlflow"][key] = scenario(
                theirs, batches_ml, concurrency, args.seconds, args.batch
            )
    finally:
        for process in processes:
            stop(process)
        if temporary:
            shutil.rmtree(state, ignore_errors=True)

    ours_c8, theirs_c8 = results["ours"]["single_c8"], results["mlflow"]["single_c8"]
    summary = {
        "seed": args.seed,
        "seconds_per_scenario": args.seconds,
        "model_version": champion.version,
        "model_family": champion.tags.get("model_family"),
        "cores": os.cpu_count(),
        "load_generator": "asyncio raw HTTP/1.1 keep-alive (uvloop), on the same cores",
        "server": "uvicorn, 1 worker, access log off; mlflow models serve --workers 1",
        "p50_ms": results["ours"]["single_c1"]["p50_ms"],
        "p99_ms": ours_c8["p99_ms"],
        "rps": ours_c8["rps"],
        "mlflow_p50_ms": results["mlflow"]["single_c1"]["p50_ms"],
        "mlflow_p99_ms": theirs_c8["p99_ms"],
        "mlflow_rps": theirs_c8["rps"],
        "speedup": round(ours_c8["rps"] / theirs_c8["rps"], 1),
        "max_abs_diff": float(np.max(np.abs(np.asarray(served) - expected))),
        "mlflow_max_abs_diff": float(np.max(np.abs(np.asarray(mlflow_served) - expected))),
        "scenarios": results,
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
