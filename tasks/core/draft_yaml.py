"""Write a config draft as commented YAML: a comment above each guess says why it was made."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

import yaml

from configs.schema import YamlLoader
from tasks.core.coercion import format_number
from tasks.core.profiling import Draft
from tasks.core.reasons import plain_words

WIDTH = 99
_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n", "true", "false", "null", "~"}
_RISKY = re.compile(r"[\[\]{},#&*!|>'\"%@`]|: |:$|^[-?:]\s|^-$")


def number(value: float) -> str:
    """A number YAML reads back as a number: 0, 2.5, 1.0e+20 (PyYAML wants the dot)."""
    text = format_number(float(value))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent if exponent[0] in '+-' else '+' + exponent}"
    return text


def scalar(value: Any) -> str:
    """Plain when YAML (1.1 or 1.2) reads it back as the same text or number, else quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # 1.0 stays 1.0 (a float parameter stays a float)
        text = number(value)
        return f"{text}.0" if re.fullmatch(r"-?\d+", text) else text
    text = str(value)
    if not text or text != text.strip() or text.lower() in _YAML11_WORDS or _RISKY.search(text):
        return json.dumps(text, ensure_ascii=False)
    try:
        loaded = yaml.load(f"[{text}]", Loader=YamlLoader)
    except yaml.YAMLError:
        return json.dumps(text, ensure_ascii=False)
    same = len(loaded) == 1 and not isinstance(loaded[0], bool) and str(loaded[0]) == text
    plain = same and isinstance(loaded[0], str | int | float)
    return text if plain else json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    """A value in YAML flow style: [a, b], {k: v}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str, indent: int = 0) -> None:
        pad = " " * indent
        for line in textwrap.wrap(text, WIDTH - indent - 2, break_on_hyphens=False):
            self.lines.append(f"{pad}# {line}")

    def add(self, text: str = "", indent: int = 0) -> None:
        self.lines.append(" " * indent + text if text else "")

    def entry(self, key: str, value: Any, indent: int, reason: str = "") -> None:
        """`key: value` in flow style, or as a block list/mapping when too wide."""
        if reason:
            self.comment(reason, indent)
        line = f"{scalar(key)}: {flow(value)}"
        if indent + len(line) <= WIDTH or not isinstance(value, dict | list):
            self.add(line, indent)
            return
        self.add(f"{scalar(key)}:", indent)
        if isinstance(value, dict):
            for k, v in value.items():
                self.entry(k, v, indent + 2)
        else:
            for v in value:
                self.add(f"- {flow(v)}", indent + 2)


def render_draft(draft: Draft, source_hint: str = "SOURCE", out_hint: str = "CONFIG") -> str:
    """The draft as commented YAML that `configs.schema.load_config` accepts."""
    out = _Lines()
    out.comment(
        f"RetainAI run config for {draft.name}, drafted by `retainai init-config` from "
        f"{draft.source or 'a table'} ({draft.rows:,} rows). Each guess is explained in the "
        "comment above it: check them, then train with"
    )
    out.add(f"#   retainai train --config {out_hint} --data {source_hint}")
    out.comment(
        "Sections not written here (validation, quality_gates, segments, lifetime, scoring) "
        "take their defaults from configs/schema.py."
    )
    out.add()
    _dataset(out, draft)
    out.add()
    out.comment(
        "Engineered features (ratio, difference, product, count_equal, bins, log1p, flag): "
        "none guessed; configs/telco.yaml shows each kind."
    )
    out.add("features: []")
    out.add()
    _model(out, draft)
    out.add()
    _survival(out, draft)
    out.add()
    out.comment(
        "Drift per column is a distance with a threshold (Wasserstein for numbers, "
        "Jensen-Shannon for categories), as in configs/telco.yaml."
    )
    out.add("monitoring:")
    for key, value in (("numeric_method", "wasserstein"), ("categorical_method", "jensenshannon")):
        out.entry(key, value, 2)
    return "\n".join(out.lines) + "\n"


def _dataset(out: _Lines, draft: Draft) -> None:
    out.add("dataset:")
    out.entry(
        "name",
        draft.name,
        2,
        "From --name or the file name; the model registers as "
        f"retainai-{draft.name} (set model.registered_name to change it).",
    )
    out.entry("id_column", draft.id_column.value, 2, draft.id_column.reason)
    target = draft.target
    labels: dict[str, Any] = {"column": target.column}
    for key in ("positive", "negative"):
        text = getattr(target, key)
        value = float(text) if target.numeric else text
        labels[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    out.entry("target", labels, 2, f"{target.column}: {target.reason}.")
    out.comment(
        "Business roles, each optional: without one, the figures that depend on it are absent.", 2
    )
    out.add("roles:", 2)
    for role, guess in draft.roles.items():
        out.entry(role, guess.value, 4, guess.reason + ".")
    if draft.segment_hint:
        out.add(
            f"# segment: {scalar(draft.segment_hint)}  # the lowest-cardinality "
            "categorical, if it is a business breakdown",
            4,
        )
    out.add("numeric:" if draft.numeric else "numeric: {}", 2)
    for name, guess in draft.numeric.items():
        rule = {k: (number(v) if isinstance(v, float) else v) for k, v in guess.rule().items()}
        if guess.blank:
            out.comment(guess.reason + ".", 4)
            out.add(f"{scalar(name)}:", 4)
            for key, value in rule.items():
                out.add(f"{key}: {value if isinstance(value, str) else flow(value)}", 6)
            continue
        text = ", ".join(f"{k}: {v if isinstance(v, str) else flow(v)}" for k, v in rule.items())
        out.comment(guess.reason + ".", 4)
        out.add(f"{scalar(name)}: {{{text}}}", 4)
    out.add("categorical:" if draft.categorical else "categorical: {}", 2)
    for name, guess in draft.categorical.items():
        out.entry(name, [str(v) for v in guess.values], 4, guess.reason + ".")
    _labels(out, draft)
    if draft.left_out:
        out.comment("Left out of the model (list a column above to use it):", 2)
        for name, reason in draft.left_out.items():
            out.comment(f"- {name}: {reason}.", 2)


def _labels(out: _Lines, draft: Draft) -> None:
    """How each column reads in reasons, pages and messages: its name in plain words (the
    duration role in months); to be reworded in the business's own words."""
    columns = [*draft.numeric, *draft.categorical]
    if not columns:
        return
    out.comment(
        "How columns read in customers' reasons and on pages: label, unit of numbers, shown "
        "text of values (e.g. {label: Senior citizen, values: {'1': 'Yes'}}). Reword freely.",
        2,
    )
    out.add("labels:", 2)
    duration = draft.roles["duration"].value if "duration" in draft.roles else None
    for name in columns:
        label = plain_words(name)
        out.entry(name, {"label": label, "unit": "month"} if name == duration else label, 4)


def _model(out: _Lines, draft: Draft) -> None:
    out.add("model:")
    out.comment(
        "registered_name left out: derived from dataset.name. Modest grids, chosen by "
        "cross-validation on the training part only.",
        2,
    )
    for key, value in draft.model.items():
        if key != "families":
            out.entry(key, value, 2)
    out.add("families:", 2)
    notes = {"blend": "log-odds average of the tuned logistic regression and LightGBM"}
    for family, spec in draft.model["families"].items():
        if family in notes:
            out.comment(notes[family], 4)
        out.add(f"{family}:", 4)
        out.entry("grid", spec["grid"], 6)


def _survival(out: _Lines, draft: Draft) -> None:
    if not draft.survival.value:
        out.comment(f"survival: {draft.survival.reason}: no remaining-lifetime figures.")
        return
    out.comment(draft.survival.reason + ".")
    out.add("survival:")
    out.entry("covariates", draft.survival.value, 2)
    out.entry("penalizer", 0.1, 2)


def dataset_name(source: str, table: str | None = None) -> str:
    """A dataset name from the table or file name: telco-churn.csv.gz -> telco-churn."""
    stem = table or re.split(r"[/\\]", source.split("?")[0].rstrip("/"))[-1]
    stem = re.sub(r"(\.(csv|parquet|pq|gz|bz2|xz|zip|db|sqlite3?))+$", "", stem, flags=re.I)
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", stem).strip("-._")[:64]
    return name or "churn"


def summary(draft: Draft) -> str:
    """One line: what the draft guessed."""
    roles = ", ".join(f"{k} {g.value or '-'}" for k, g in draft.roles.items())
    return (
        f"{draft.name}: {draft.rows:,} rows; id {draft.id_column.value or '-'}; target "
        f"{draft.target.column} (positive {draft.target.positive!r}); {len(draft.numeric)} "
        f"numeric, {len(draft.categorical)} categorical, {len(draft.left_out)} left out; "
        f"roles: {roles}"
    )
