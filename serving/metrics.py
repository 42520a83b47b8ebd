"""Prometheus text metrics and the ASGI middleware that records them and puts the model's
name, version and alias on every response. Counters are per process (label `pid`)."""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections import defaultdict
from typing import Any

from fastapi.routing import iter_route_contexts

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(**labels: Any) -> str:
    def escape(value: Any) -> str:
        return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


class Metrics:
    """Request counts by route/method/status, latency histograms by route, model events."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.latency: dict[str, list[float]] = {}  # route -> bucket counts, +Inf, sum
        self.customers_scored = 0
        self.reloads: dict[str, int] = defaultdict(int)  # outcome -> count

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests[(route, method, status)] += 1
        counts = self.latency.get(route)
        if counts is None:
            counts = self.latency[route] = [0.0] * (len(BUCKETS) + 2)
        counts[bisect_left(BUCKETS, seconds)] += 1
        counts[-1] += seconds

    def render(self, model: Any) -> str:
        pid = os.getpid()
        lines = [
            "# HELP retainai_http_requests_total HTTP requests by route, method and status.",
            "# TYPE retainai_http_requests_total counter",
        ]
        for (route, method, status), count in sorted(self.requests.items()):
            labels = _labels(route=route, method=method, status=status, pid=pid)
            lines.append(f"retainai_http_requests_total{labels} {count}")
        lines += [
            "# HELP retainai_http_request_duration_seconds Request latency by route.",
            "# TYPE retainai_http_request_duration_seconds histogram",
        ]
        for route, counts in sorted(self.latency.items()):
            total = 0.0
            for bound, count in zip([*BUCKETS, "+Inf"], counts[:-1], strict=True):
                total += count
                labels = _labels(route=route, le=bound, pid=pid)
                lines.append(f"retainai_http_request_duration_seconds_bucket{labels} {total:g}")
            labels = _labels(route=route, pid=pid)
            lines.append(f"retainai_http_request_duration_seconds_sum{labels} {counts[-1]!r}")
            lines.append(f"retainai_http_request_duration_seconds_count{labels} {total:g}")
        lines += [
            "# HELP retainai_customers_scored_total Customers scored by /predict.",
            "# TYPE retainai_customers_scored_total counter",
            f"retainai_customers_scored_total{_labels(pid=pid)} {self.customers_scored}",
            "# HELP retainai_model_reloads_total Model alias checks that loaded or failed.",
            "# TYPE retainai_model_reloads_total counter",
        ]
        for outcome, count in sorted(self.reloads.items()):
            lines.append(f"retainai_model_reloads_total{_labels(outcome=outcome, pid=pid)} {count}")
        lines += [
            "# HELP retainai_model_info The model being served (value 1).",
            "# TYPE retainai_model_info gauge",
        ]
        if model is not None:
            info = _labels(
                name=model.name, version=model.version.version, alias=model.alias, pid=pid
            )
            lines.append(f"retainai_model_info{info} 1")
        lines += [
            "# HELP retainai_model_loaded 1 while a model is loaded and served.",
            "# TYPE retainai_model_loaded gauge",
            f"retainai_model_loaded{_labels(pid=pid)} {0 if model is None else 1}",
        ]
        return "\n".join(lines) + "\n"


class ServingMiddleware:
    """Pure ASGI: model headers on every response, one metrics observation per request."""

    def __init__(
        self, app: Any, holder: Any, metrics: Metrics, headers: list, routes: list
    ) -> None:
        self.app = app
        self.holder = holder
        self.metrics = metrics
        self.headers = headers  # X-Model-Name and X-Model-Alias (fixed for the app)
        self.routes = routes  # the app's routes, for a complete Allow header on 405

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_headers(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                model = scope.get("retainai.model") or self.holder.current
                version = model.version.version.encode() if model is not None else b"none"
                headers = list(message.get("headers", ()))
                if status == 405:  # Starlette names only the first route with this path
                    headers = [(k, v) for k, v in headers if k.lower() != b"allow"]
                    headers.append((b"allow", self._allowed(scope["path"])))
                message["headers"] = [*headers, *self.headers, (b"x-model-version", version)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(label, scope["method"], status, time.perf_counter() - start)

    def _allowed(self, path: str) -> bytes:
        methods = set()
        for route in iter_route_contexts(self.routes):  # included routers' routes too
            regex = getattr(route, "path_regex", None)
            if regex is not None and regex.match(path) and getattr(route, "methods", None):
                methods |= route.methods
        return ", ".join(sorted(methods)).encode()
