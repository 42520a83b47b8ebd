"""A registered version's facts: what it was trained on, what was chosen and why, its holdout
figures and the gates; kept as the version's tags (each holdout figure its own), read back
from them, and the digest of the inputs that recognises a retraining on the same ones. The
card made of them is tasks/core/card_text.py; later facts (calibration, ...) add a field
here and a section there."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from configs.schema import QualityGates
from tasks.core.evaluation import Evaluation


@dataclass(frozen=True)
class CardFacts:
    """Everything the card says, as kept in the version's tags (`to_tags`/`from_tags`)."""

    dataset: str
    target: str  # the target column
    positive: str  # its value for a leaver
    data_source: str  # credential-free label of the source
    data_digest: str
    data_rows: int  # validated rows the model learnt and was checked on
    data_quarantined: int
    data_read_on: str  # ISO date (UTC) the source was read
    data_tenure: str  # "min-max" months of the duration role, "" without one
    model_family: str
    model_choice_reason: str
    cv_roc_auc_mean: float
    cv_folds: int
    holdout_share: float
    evaluation: Evaluation
    gates: QualityGates
    config_digest: str
    training_inputs: str  # digest of data, config and code: same inputs, same model
    reports_uri: str = ""
    champion_gate: str = ""  # the champion gate's outcome, once decided

    def to_tags(self) -> dict[str, str]:
        """The facts as registry tags; each holdout figure its own `<split>.<figure>` tag."""
        tags = {
            f.name: _text(getattr(self, f.name))
            for f in fields(self)
            if f.name not in ("evaluation", "gates")
        }
        split = self.evaluation.split
        tags |= {f"{split}.{k}": _text(v) for k, v in self.evaluation.metrics().items()}
        tags["holdout_split"] = split
        tags["quality_gates"] = json.dumps(self.gates.model_dump(), sort_keys=True)
        return {k: v for k, v in tags.items() if v != ""}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> CardFacts | None:
        """The facts kept by `to_tags`, or None for a version registered without them."""
        split = tags.get("holdout_split")
        if not split or "training_inputs" not in tags or "quality_gates" not in tags:
            return None
        try:
            figures = {
                f.name: f.type
                for f in fields(Evaluation)
                if f.name != "split" and f"{split}.{f.name}" in tags
            }
            evaluation = Evaluation(
                split=split,
                **{k: _number(tags[f"{split}.{k}"], t) for k, t in figures.items()},
            )
            values = {
                f.name: _number(tags.get(f.name, ""), f.type)
                for f in fields(cls)
                if f.name not in ("evaluation", "gates")
            }
            gates = QualityGates(**json.loads(tags["quality_gates"]))
            return cls(evaluation=evaluation, gates=gates, **values)
        except (TypeError, ValueError):
            return None

    def decided(self, outcome: str) -> CardFacts:
        return replace(self, champion_gate=outcome)


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _number(text: str, kind: object) -> object:
    kind = getattr(kind, "__name__", kind)
    if kind == "int":
        return int(float(text)) if text else 0
    if kind == "float":
        return float(text) if text else 0.0
    return text


def training_inputs(data_digest: str, config_digest: str, code: Mapping[str, str]) -> str:
    """One digest of everything a training run depends on: the data, the config (families,
    grids, seed, split, gates) and the code (commit and library versions)."""
    text = json.dumps(
        {"data": data_digest, "config": config_digest, "code": dict(code)}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
