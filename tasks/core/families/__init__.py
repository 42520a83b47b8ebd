"""The model-family registry: each family is one module of this package, named in
configs/families.py; training builds its estimator and search grid from it, and the compiled
scorer reads fitted models through it."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from configs.families import FAMILY_NAMES
from tasks.core.encoding import Encoder

LOG_ODDS, PROBABILITY = "log-odds", "probability"


def no_grid(found: Mapping[str, Any]) -> dict[str, list]:
    return {}


@dataclass(frozen=True)
class ModelFamily:
    """What training and the compiled scorer need to know of one family."""

    name: str
    estimator: Callable[[int], Any]  # seed -> an unfitted sklearn estimator
    reads: Callable[[Any], bool]  # is this fitted model one of ours
    compile: Callable[[Any, Encoder, np.ndarray], Any]  # (model, encoder, center) -> scorer
    units: str = LOG_ODDS  # of its contributions
    # extra search grid from the families searched before it ({name: best model params})
    grid: Callable[[Mapping[str, dict[str, Any]]], dict[str, list]] = field(default=no_grid)


def _load() -> dict[str, ModelFamily]:
    found = {}
    for name in FAMILY_NAMES:
        family = importlib.import_module(f"{__name__}.{name}").FAMILY
        if family.name != name:
            raise ImportError(f"tasks/core/families/{name}.py registers {family.name!r}")
        found[name] = family
    return found


FAMILIES: dict[str, ModelFamily] = _load()


def family_of(model: Any) -> ModelFamily | None:
    """The family that reads this fitted model, or None."""
    return next((f for f in FAMILIES.values() if f.reads(model)), None)
