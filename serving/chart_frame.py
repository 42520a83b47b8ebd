"""What every chart of serving/charts.py shares: the HTML element holding a plotly.js spec,
axes and lines in the dashboard's style, labels in reading order, and the words in the page's
language (a chart takes the page's translator as `_`; English, filled in the same way, without
one) with columns named by their configured labels."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from babel import numbers

from tasks.core.message_facts import readable
from tasks.i18n import DEFAULT_LANGUAGE, N_, locale_of
from tasks.i18n.words import WORDS

RISK_COLOURS = {"low": "#12b76a", "medium": "#f79009", "high": "#d92d20"}
# no mode bar: its buttons covered the titles, and the pages need none of them
CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
Day = Callable[[Any], str]  # a date as the page writes dates (the `day` filter)
# `_("text", name=value)` in the page's language (serving/web/render.py `translator`): each
# chart takes one as `_`, so `make messages` extracts its words
Translate = Callable[..., str]
Labels = Mapping[str, Any]  # column -> how it reads (configs/dataset.py ColumnLabel)
BLUE = "#2457c5"
PALETTE = ("#2457c5", "#7a5af8", "#0e9384", "#c11574", "#667085", "#b54708")  # other groups
# the groupings the app makes itself (not columns of the data), translated where shown
OWN_COLUMNS = (N_("risk segment"), N_("tenure band"))


def english(message: str, **values: object) -> str:
    """The English text, filled in as a page's translator fills it: formatted only when values
    are given (`%%` then stands for a percent sign)."""
    return message % values if values else message


def word(_: Translate, value: Any) -> str:
    """A stored word (a risk segment) in the page's language; a value from the data as is."""
    return _(value) if isinstance(value, str) and value in WORDS else str(value)


def column(_: Translate, name: str, labels: Labels | None = None) -> str:
    """A column as pages name it: its configured label (`dataset.labels`), else in plain words,
    translated when it is one the app makes itself."""
    if labels and name in labels:
        return labels[name].label
    words = readable(name)
    return _(words) if words in OWN_COLUMNS else words


def language_of(_: Translate) -> str:
    """The language a chart's translator writes (English for `english`)."""
    return getattr(_, "language", DEFAULT_LANGUAGE)


def separators(language: str) -> str:
    """plotly.js's `separators` for `language`: its decimal sign, then its thousands
    separator, as Babel's locale writes them ('.,' in English; ',' and a narrow no-break
    space in French). Every number plotly writes (axes, hover, text templates) uses them."""
    locale = locale_of(language)
    return numbers.get_decimal_symbol(locale) + numbers.get_group_symbol(locale)


def html(data: list[dict[str, Any]], title: str, _: Translate = english, **layout: Any) -> str:
    """A chart's title (a heading of the page: it wraps on a narrow screen, where plotly's own
    title is cut) and an element whose `data-chart` holds the spec; serving/web/static/charts.js
    draws it (no inline script: the pages' Content-Security-Policy runs none). Its numbers
    are written as `_`'s language writes them."""
    from plotly.io.json import to_json_plotly

    frame = {
        "separators": separators(language_of(_)),
        "height": 300,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 50, "r": 20, "t": 20, "b": 40},
        "autosize": True,
    }
    spec = {"data": data, "layout": {**frame, **layout}, "config": CONFIG}
    return (
        f'<h2 class="chart-title">{escape(title)}</h2>'
        f'<div class="plotly-graph-div" data-chart="{escape(to_json_plotly(spec))}"></div>'
    )


def axis(title: str | None = None, **options: Any) -> dict[str, Any]:
    axis = {"gridcolor": "#eaecf0", "zerolinecolor": "#d0d5dd", **options}
    return {**axis, "title": {"text": title}} if title else axis


def lines(x: list, y: list, name: str, **options: Any) -> dict[str, Any]:
    return {"type": "scatter", "x": x, "y": y, "name": name, "mode": "lines+markers", **options}


def rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


_LEADING_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)")


def label_order(labels: list[str]) -> list[int]:
    """Positions of `labels` in reading order: labels starting with a number ('6-12 months',
    '72+ months') by that number, before the others in text order."""

    def key(position: int) -> tuple[int, float, str]:
        found = _LEADING_NUMBER.match(labels[position])
        return (0, float(found.group(1)), "") if found else (1, 0.0, labels[position])

    return sorted(range(len(labels)), key=key)


def band(_: Translate, label: str) -> str:
    """A tenure band as tasks/core/heatmaps.py names it ('6-12 months') in the page's language;
    any other label as stored."""
    band, space, unit = label.rpartition(" ")
    return _("%(band)s months", band=band) if space and unit == "months" else label
