import pytest

from configs.schema import QualityGates
from tasks.core.errors import ChampionGateError, QualityGateError, RegistryError
from tasks.core.evaluation import Evaluation
from tasks.core.promotion import (
    check_quality_gates,
    compare_with_champion,
    enforce,
    rollback_target,
)


def _result(roc_auc=0.85, brier=0.13, lift=3.0, pr_auc=0.65):
    return Evaluation(
        "holdout", 100, 0.26, 0.4, roc_auc, pr_auc, brier, lift, 0.6, 0.7, 0.64, 60, 10, 10, 20
    )


def test_quality_gates_name_every_missed_gate():
    gates = QualityGates(min_roc_auc=0.8, max_brier=0.15, min_lift_at_10=2.5)
    check_quality_gates(_result(), gates)
    with pytest.raises(QualityGateError, match=r"roc_auc 0.7000.*brier 0.2000"):
        check_quality_gates(_result(roc_auc=0.7, brier=0.2), gates)


def test_champion_gate_uses_tolerance():
    champion = _result(roc_auc=0.85)
    assert compare_with_champion(_result(0.846), champion, 0.005, "1").promote
    worse = compare_with_champion(_result(0.84), champion, 0.005, "1")
    assert not worse.promote and "worse than the champion" in worse.reason
    with pytest.raises(ChampionGateError):
        enforce(worse)
    assert compare_with_champion(_result(), None, 0.005, None).promote


def _entry(action, version, previous=None):
    return {"action": action, "version": version, "previous_version": previous}


def test_rollback_walks_back_past_earlier_rollbacks():
    history = [
        _entry("promote", "1"),
        _entry("refuse", "2"),
        _entry("promote", "3", "1"),
        _entry("promote", "4", "3"),
    ]
    assert rollback_target(history, "4") == "3"
    history.append(_entry("rollback", "3", "4"))
    assert rollback_target(history, "3") == "1"
    history.append(_entry("rollback", "1", "3"))
    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback_target(history, "1")
    with pytest.raises(RegistryError, match="no champion"):
        rollback_target([], None)
