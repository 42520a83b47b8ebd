"""Promotion rules: when a challenger may become champion, and where a rollback goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from configs.schema import QualityGates
from tasks.core.errors import ChampionGateError, QualityGateError, RegistryError
from tasks.core.evaluation import Evaluation
from tasks.i18n import N_


@dataclass(frozen=True)
class GateCheck:
    """One absolute quality gate: the figure, its value, the comparison and the limit."""

    figure: str
    value: float
    op: str  # ">=" or "<="
    limit: float

    @property
    def passed(self) -> bool:
        return self.value >= self.limit if self.op == ">=" else self.value <= self.limit

    def describe(self) -> str:
        return f"{self.figure} {self.value:.4f} (needs {self.op} {self.limit})"


def gate_checks(evaluation: Evaluation, gates: QualityGates) -> list[GateCheck]:
    """Every absolute quality gate checked against one split's figures."""
    return [
        GateCheck("roc_auc", evaluation.roc_auc, ">=", gates.min_roc_auc),
        GateCheck("pr_auc", evaluation.pr_auc, ">=", gates.min_pr_auc),
        GateCheck("brier", evaluation.brier, "<=", gates.max_brier),
        GateCheck("lift_at_10", evaluation.lift_at_10, ">=", gates.min_lift_at_10),
    ]


def check_quality_gates(evaluation: Evaluation, gates: QualityGates) -> None:
    """Raise QualityGateError naming every absolute gate the model misses."""
    missed = [check.describe() for check in gate_checks(evaluation, gates) if not check.passed]
    if missed:
        raise QualityGateError(
            f"model misses quality gates on the {evaluation.split} split: " + ", ".join(missed)
        )


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def compare_with_champion(
    challenger: Evaluation,
    champion: Evaluation | None,
    tolerance: float,
    champion_version: str | None,
) -> Decision:
    """Promote unless the challenger's ROC-AUC is worse than the champion's beyond tolerance."""
    if champion is None:
        return Decision(True, "first model to pass the quality gates: no champion yet")
    margin = challenger.roc_auc - champion.roc_auc
    detail = (
        f"{challenger.split} ROC-AUC {challenger.roc_auc:.4f} vs champion v{champion_version} "
        f"{champion.roc_auc:.4f} on the same rows (tolerance {tolerance})"
    )
    if margin < -tolerance:
        return Decision(False, f"worse than the champion: {detail}")
    return Decision(True, f"not worse than the champion: {detail}")


def enforce(decision: Decision) -> None:
    if not decision.promote:
        raise ChampionGateError(decision.reason)


def champion_lineage(history: Sequence[dict[str, Any]]) -> list[str]:
    """Versions that held `champion`, in order, from the promotion log."""
    lineage: list[str] = []
    for entry in history:
        if entry["action"] in ("promote", "manual", "rollback") and (
            not lineage or lineage[-1] != entry["version"]
        ):
            lineage.append(entry["version"])
    return lineage


def rollback_target(history: Sequence[dict[str, Any]], current: str | None) -> str:
    """The champion before the current one (walking back past earlier rollbacks)."""
    if current is None:
        raise RegistryError(N_("there is no champion to roll back"))
    undone = {current}
    for entry in reversed(history):
        if entry["action"] == "rollback" and entry.get("previous_version"):
            undone.add(entry["previous_version"])
    for version in reversed(champion_lineage(history)):
        if version not in undone:
            return version
    raise RegistryError(
        N_("champion v%(version)s has no earlier champion to roll back to"), version=current
    )


def require_inputs(inputs: Sequence[str], config_columns: Sequence[str], what: str) -> None:
    """RegistryError naming the columns a model reads that the config does not provide: a
    model of another table is never fed data it cannot read."""
    missing = [column for column in inputs if column not in set(config_columns)]
    if missing:
        raise RegistryError(
            f"{what} reads columns this config does not have: {missing}; it belongs to "
            "another table (give each table its own model.registered_name or dataset.name)"
        )
