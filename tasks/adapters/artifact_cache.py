"""The dashboard's local copies of run artifacts (holdout plots, hazard ratios, drift reports
of older checks), kept at `<state>/dashboard-cache/<key>/<artifact path>`: the very path a
view looks for. Each is downloaded once, by one thread at a time, into a scratch folder beside
it and moved into place whole, so a reader never sees a half-written file (worker processes
may each download it once; the move keeps that harmless)."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

from configs.settings import Settings
from tasks.adapters import registry
from tasks.adapters.storage import inside
from tasks.core.errors import InvalidInputError

CACHE = "dashboard-cache"
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,255}")  # MLflow's rule for run ids
_LOCKS = tuple(threading.Lock() for _ in range(64))  # by artifact: one download at a time


def cached_artifact(settings: Settings, key: str, run_id: str, path: str) -> Path | None:
    """The local copy of artifact `path` (`evaluation/roc.png`) of run `run_id`, kept under the
    cache folder `key` (`<model>/<version>`); None when the run has no such file."""
    if not RUN_ID.fullmatch(run_id):
        raise InvalidInputError(f"{run_id!r} is not a run id (letters, digits, '_' and '-')")
    folder = inside(settings.state / CACHE, key)
    target = inside(folder, path)
    if target.is_file():
        return target
    with _LOCKS[hash(target) % len(_LOCKS)]:
        if target.is_file():  # another view downloaded it while this one waited
            return target
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
            found = registry.download_artifact(run_id, path, Path(scratch))
            if found is None or not found.is_file():
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(found, target)
    return target
