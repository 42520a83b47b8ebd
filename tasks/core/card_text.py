"""A version's card from its facts (tasks/core/model_card.py): sections of plain lines a page
renders in its reader's language, and the same as Markdown for the registry's description
(text from the data escaped, so it shows as written)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tasks.core.model_card import CardFacts
from tasks.core.promotion import gate_checks
from tasks.i18n import N_

Translate = Callable[..., str]
FEW_LEAVERS = 50  # below this many leavers in the holdout, its figures are called uncertain
FIGURES = {
    "rows": N_("Customers in the holdout"),
    "churn_rate": N_("Churn rate"),
    "threshold": N_("Decision threshold"),
    "roc_auc": N_("ROC-AUC"),
    "pr_auc": N_("Precision-recall AUC"),
    "brier": N_("Brier score (lower is better)"),
    "lift_at_10": N_("Lift in the riskiest tenth of customers"),
    "precision_churn": N_("Precision on leavers"),
    "recall_churn": N_("Leavers found (recall)"),
    "f1_churn": N_("F1 on leavers"),
    "true_negative": N_("Stayers predicted to stay"),
    "false_positive": N_("Stayers predicted to leave"),
    "false_negative": N_("Leavers predicted to stay"),
    "true_positive": N_("Leavers predicted to leave"),
}
COUNTS = ("rows", "true_negative", "false_positive", "false_negative", "true_positive")


def english(message: str, **values: object) -> str:
    """The card in its source language (a page passes its reader's translator instead)."""
    return message % values if values else message


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[str]  # plain text, one fact each
    table: list[tuple[str, str]] | None = None  # (figure, value) rows


def sections(facts: CardFacts, _: Translate = english) -> list[Section]:
    """The card's sections in the language of `_`."""
    result = facts.evaluation
    period = _("snapshot read on %(day)s (the data has no date column)", day=facts.data_read_on)
    if facts.data_tenure:
        period += _("; customers of %(months)s months", months=facts.data_tenure)
    data = [
        _("Source: %(source)s", source=facts.data_source),
        _("Digest: %(digest)s", digest=facts.data_digest),
        _(
            "Rows: %(rows)s validated, %(quarantined)s quarantined",
            rows=f"{facts.data_rows:,}",
            quarantined=f"{facts.data_quarantined:,}",
        ),
        _("Period: %(period)s", period=period),
    ]
    model = [
        _("Family: %(family)s", family=facts.model_family),
        _("Why: %(reason)s", reason=facts.model_choice_reason),
        _(
            "CV ROC-AUC on the training part (%(folds)s folds): %(auc)s",
            folds=facts.cv_folds,
            auc=f"{facts.cv_roc_auc_mean:.4f}",
        ),
    ]
    holdout = [
        _(
            "Split %(split)s: a stratified %(share)s of the rows, %(rows)s customers, never "
            "seen in training; decision threshold %(threshold)s.",
            split=result.split,
            share=f"{facts.holdout_share:.0%}",
            rows=f"{result.rows:,}",
            threshold=f"{result.threshold:.3f}",
        )
    ]
    table = [
        (_(label), f"{value:,.0f}" if key in COUNTS else f"{value:.4f}")
        for key, label in FIGURES.items()
        if (value := result.metrics().get(key)) is not None
    ]
    return [
        Section(_("Data"), data),
        Section(_("Model"), model),
        Section(_("Holdout figures"), holdout, table),
        Section(_("Gates"), gate_lines(facts, _)),
        Section(_("Known limits"), known_limits(facts, _)),
        Section(_("Provenance"), provenance(facts, _)),
    ]


def gate_lines(facts: CardFacts, _: Translate = english) -> list[str]:
    checks = gate_checks(facts.evaluation, facts.gates)
    lines = [
        _(
            "%(verdict)s %(figure)s %(value)s (needs %(op)s %(limit)s)",
            verdict=_("passed:") if check.passed else _("missed:"),
            figure=_(FIGURES[check.figure]),
            value=f"{check.value:.4f}",
            op=check.op,
            limit=check.limit,
        )
        for check in checks
    ]
    outcome = facts.champion_gate or _("not decided yet")
    lines.append(_("Champion gate: %(outcome)s", outcome=outcome))
    return lines


def known_limits(facts: CardFacts, _: Translate = english) -> list[str]:
    """What the figures do not say, from the facts (later work adds its own)."""
    result = facts.evaluation
    limits = [
        _(
            "The holdout is a random part of the same snapshot, not a later period: it shows "
            "fit to this data, not performance over time (realised performance is tracked "
            "once outcomes are recorded)."
        ),
        _(
            "Probabilities are the %(family)s model's own, with no calibration step: the "
            "calibration plot shows how far they are from observed churn rates.",
            family=facts.model_family,
        ),
        _(
            "The threshold maximises F1 on leavers in out-of-fold training predictions; "
            "other costs of a missed leaver call for another threshold."
        ),
    ]
    leavers = result.true_positive + result.false_negative
    if leavers < FEW_LEAVERS:
        limits.append(
            _(
                "The holdout holds only %(count)s leavers: its figures are uncertain.",
                count=leavers,
            )
        )
    if facts.data_quarantined:
        limits.append(
            _(
                "%(count)s rows failed validation and were left out: customers like them "
                "are not represented.",
                count=f"{facts.data_quarantined:,}",
            )
        )
    return limits


def provenance(facts: CardFacts, _: Translate = english) -> list[str]:
    lines = [
        _("Config digest: %(digest)s", digest=facts.config_digest),
        _("Training inputs digest: %(digest)s", digest=facts.training_inputs),
    ]
    if facts.reports_uri:
        lines.append(_("Reports: %(uri)s", uri=facts.reports_uri))
    return lines


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|!])")


def _escaped(text: str) -> str:
    """Plain text as Markdown that shows it as written (no emphasis, links or HTML)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown(facts: CardFacts, _: Translate = english) -> str:
    """The card as Markdown: the registry version's description."""
    what = _(
        "Probability that a customer of %(dataset)s leaves (%(target)s = %(positive)s).",
        dataset=facts.dataset,
        target=facts.target,
        positive=facts.positive,
    )
    title, figure, value = _("Model card"), _("Figure"), _("Value")
    out = [f"# {_escaped(title)}", "", _escaped(what)]
    for section in sections(facts, _):
        out += ["", f"## {_escaped(section.title)}", ""]
        out += [f"- {_escaped(line)}" for line in section.lines]
        if section.table:
            out += ["", f"| {_escaped(figure)} | {_escaped(value)} |", "|---|---:|"]
            out += [f"| {_escaped(k)} | {_escaped(v)} |" for k, v in section.table]
    return "\n".join(out) + "\n"


def model_description(
    name: str, dataset: str, target: str, positive: str, features: list[str]
) -> str:
    """The registered model's description: what it predicts, from which table."""
    columns = ", ".join(_escaped(column) for column in features)
    return (
        f"# {_escaped(name)}\n\n"
        f"Churn model of the {_escaped(dataset)} customers: each version gives the probability "
        f"that a customer leaves ({_escaped(target)} = {_escaped(positive)}), from the "
        f"{len(features)} columns {columns}.\n\n"
        "The `champion` alias scores customers; `challenger` is the latest version trained. "
        "Each version's description is its card: data, choice, holdout figures, gates and "
        "known limits.\n"
    )
