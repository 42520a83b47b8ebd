"""What a scoring chunk is scored with, loaded once per process wherever the chunk runs.

The flow loads the champion once. Chunk tasks on the flow's threads get that very object; a
chunk task sent to another process (a Dask worker) is pickled, and a pickled model would travel
with every chunk through the scheduler. So a `ChunkModel` pickles as its registry reference
only (name, version, the flow's settings), and the first chunk a process runs loads that exact
version from the registry, which the process then keeps for the chunks after it.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from configs.settings import Settings
from tasks.adapters import registry
from tasks.core.survival import SurvivalModel
from tasks.survival import load_survival_model

_KEPT_PER_PROCESS = 2  # a model and the one that replaces it
_loaded: dict[tuple[str, str, str], ChunkModel] = {}
_loading = threading.Lock()


@dataclass(frozen=True)
class ChunkModel:
    """A registered version's compiled model and survival model (None in a pickled copy
    until `ready()` loads them in the process it arrived in)."""

    name: str
    version: str
    settings: Settings
    compiled: Any = None  # tasks.core.inference.CompiledModel
    survival: SurvivalModel | None = None

    def __reduce__(self):
        return (type(self), (self.name, self.version, self.settings))

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.version, self.settings.resolved_tracking_uri)

    def ready(self) -> ChunkModel:
        """This model, loaded: itself where it was built, else this process's copy."""
        if self.compiled is not None:
            return self
        with _loading:
            if self.key not in _loaded:
                _keep(_load(self.name, self.version, self.settings))
            return _loaded[self.key]

    def kept(self) -> ChunkModel:
        """This loaded model, kept for the chunks this process runs later (the process that
        loaded the champion for the flow does not load it again)."""
        with _loading:
            _keep(self)
        return self


def _keep(model: ChunkModel) -> None:
    _loaded.pop(model.key, None)
    while len(_loaded) >= _KEPT_PER_PROCESS:
        _loaded.pop(next(iter(_loaded)))
    _loaded[model.key] = model


def _load(name: str, version: str, settings: Settings) -> ChunkModel:
    registry.configure(settings)
    found = registry.get_version(name, version)
    loaded = registry.load_version(name, found)
    with tempfile.TemporaryDirectory(prefix="retainai-chunk-model-") as folder:
        survival = load_survival_model(found.run_id, Path(folder))
    return ChunkModel(name, version, settings, loaded.compiled, survival)
