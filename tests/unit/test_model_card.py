"""A version's card from its facts: Markdown for the registry, tags that keep the facts, and
the digest that recognises a retraining on the same inputs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from configs.schema import QualityGates
from tasks.core.card_text import markdown, sections
from tasks.core.evaluation import Evaluation
from tasks.core.model_card import CardFacts, training_inputs
from tasks.i18n import gettext


def _evaluation(roc_auc=0.8412, leavers=(94, 36)) -> Evaluation:
    tp, fn = leavers
    return Evaluation(
        "holdout",
        500,
        0.26,
        0.3127,
        roc_auc,
        0.6534,
        0.1391,
        2.91,
        0.55,
        0.72,
        0.62,
        300,
        70,
        fn,
        tp,
    )


def _facts(**changes) -> CardFacts:
    facts = CardFacts(
        dataset="telco",
        target="Churn",
        positive="Yes",
        data_source="data/customers_2026.csv",
        data_digest="9f1c2e7a",
        data_rows=2500,
        data_quarantined=0,
        data_read_on="2026-12-08",
        data_tenure="0-72",
        model_family="logistic_regression",
        model_choice_reason="logistic_regression: simplest within one standard error",
        cv_roc_auc_mean=0.8377,
        cv_folds=3,
        holdout_share=0.2,
        evaluation=_evaluation(),
        gates=QualityGates(min_roc_auc=0.6, max_brier=0.25, min_lift_at_10=1.2),
        config_digest="c0ffee12",
        training_inputs="abcdef0123456789",
        reports_uri="s3://reports/training/run-1",
    )
    return replace(facts, **changes)


def test_the_card_names_data_choice_figures_split_threshold_gates_and_limits():
    card = markdown(_facts())
    titles = [line for line in card.splitlines() if line.startswith("## ")]
    assert titles == [
        "## Data",
        "## Model",
        "## Holdout figures",
        "## Gates",
        "## Known limits",
        "## Provenance",
    ]
    for fact in (
        "data/customers\\_2026.csv",
        "Digest: 9f1c2e7a",
        "Rows: 2,500 validated, 0 quarantined",
        "snapshot read on 2026-12-08",
        "customers of 0-72 months",
        "Family: logistic\\_regression",
        "simplest within one standard error",
        "(3 folds): 0.8377",
        "a stratified 20% of the rows, 500 customers",
        "decision threshold 0.313",
        "| ROC-AUC | 0.8412 |",
        "| Brier score (lower is better) | 0.1391 |",
        "| Leavers predicted to leave | 94 |",
        "passed: ROC-AUC 0.8412 (needs \\>= 0.6)",
        "passed: Brier score (lower is better) 0.1391 (needs \\<= 0.25)",
        "Champion gate: not decided yet",
        "no calibration step",
        "Reports: s3://reports/training/run-1",
    ):
        assert fact in card, fact
    assert "quarantined" not in card.split("## Known limits")[1]
    assert "uncertain" not in card


def test_limits_follow_the_facts():
    card = markdown(_facts(data_quarantined=40, evaluation=_evaluation(leavers=(20, 10))))
    limits = card.split("## Known limits")[1].split("## Provenance")[0]
    assert "40 rows failed validation" in limits
    assert "only 30 leavers" in limits


def test_missed_gates_and_the_champion_outcome_are_said():
    facts = _facts(evaluation=_evaluation(roc_auc=0.55)).decided("refused: worse than v1")
    card = markdown(facts)
    assert "missed: ROC-AUC 0.5500 (needs \\>= 0.6)" in card
    assert "Champion gate: refused: worse than v1" in card


def test_every_holdout_figure_is_its_own_tag_and_the_tags_give_the_card_back():
    facts = _facts(data_quarantined=3).decided("passed: first model")
    tags = facts.to_tags()
    for figure, value in facts.evaluation.metrics().items():
        assert float(tags[f"holdout.{figure}"]) == pytest.approx(value, rel=1e-5), figure
    assert tags["data_digest"] == "9f1c2e7a" and tags["training_inputs"] == "abcdef0123456789"
    assert all(isinstance(v, str) and v for v in tags.values())
    again = CardFacts.from_tags(tags)
    assert again is not None and markdown(again) == markdown(facts)


def test_a_version_registered_without_the_facts_has_no_card():
    old = {"model_family": "lightgbm", "holdout_metrics": '{"roc_auc": 0.8}'}
    assert CardFacts.from_tags(old) is None
    broken = _facts().to_tags() | {"holdout.rows": "many"}
    assert CardFacts.from_tags(broken) is None


def test_text_from_the_data_cannot_become_markup():
    card = markdown(_facts(data_source="<img src=x onerror=alert(1)> [link](http://x) **b**"))
    line = next(line for line in card.splitlines() if line.startswith("- Source:"))
    assert line == "- Source: \\<img src=x onerror=alert(1)\\> \\[link\\](http://x) \\*\\*b\\*\\*"
    import markdown as renderer  # a Markdown renderer shows the text as written

    html = renderer.markdown(card)
    assert "<img" not in html and "<a " not in html and "<strong>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; [link](http://x) **b**" in html


def test_the_card_reads_in_french():
    def french(message, **values):
        return gettext("fr", message, **values)

    found = sections(_facts(), french)
    english = sections(_facts())
    assert [s.title for s in found] != [s.title for s in english]
    assert found[0].title == gettext("fr", "Data")
    assert len(found[2].table) == len(english[2].table) == 14


def test_inputs_digest_changes_with_data_config_or_code():
    code = {"git_sha": "abc", "scikit-learn": "1.7.2"}
    same = training_inputs("data1", "config1", code)
    assert same == training_inputs("data1", "config1", dict(code))
    assert (
        len(
            {
                same,
                training_inputs("data2", "config1", code),
                training_inputs("data1", "config2", code),
                training_inputs("data1", "config1", code | {"git_sha": "def"}),
                training_inputs("data1", "config1", code | {"scikit-learn": "1.8.0"}),
            }
        )
        == 5
    )
