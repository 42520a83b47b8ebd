"""Invalid settings as one line per variable: `RETAINAI_X <what is wrong>: <the fix>`.

Built from pydantic's structured errors, never from its text (which quotes the values: a key
or a password would be printed). What every entry point reports before it starts anything:
the command line, `retainai serve`, a flow run and the API's start-up (configs/settings.py
`load_settings`)."""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from configs.production_checks import Problem

# fixes the field's type and bounds do not say
FIXES = {
    "reports_url": "set s3://bucket or s3://bucket/prefix, or leave it unset",
    "trusted_proxies": "set IP addresses or networks separated by commas, e.g. 10.0.0.0/8",
    "prompt_version": "set v followed by a number, e.g. v1",
    "fallback_version": "set v followed by a number, e.g. v1",
}
_CHOICES = re.compile(r"^\^\(([\w|-]+)\)\$$")  # a pattern that lists its values: ^(a|b)$
_SIMPLE = {
    "missing": ("is not set", "set it"),
    "int_parsing": ("is not a whole number", None),
    "int_from_float": ("is not a whole number", None),
    "int_type": ("is not a whole number", None),
    "float_parsing": ("is not a number", None),
    "float_type": ("is not a number", None),
    "bool_parsing": ("is not true or false", "set true or false"),
    "bool_type": ("is not true or false", "set true or false"),
    "string_pattern_mismatch": ("has the wrong form", None),
    "literal_error": ("is not one of the accepted values", None),
}
_BOUNDS = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
}


def settings_error_lines(error: ValidationError, model: type) -> list[str]:
    """One line per invalid variable of `model` (Settings or ServingSettings), in the order
    pydantic found them; never a value."""
    prefix = model.model_config.get("env_prefix", "")
    lines: dict[str, str] = {}
    for found in error.errors(include_url=False):
        for problem in _problems(found, model, prefix):
            lines.setdefault(problem.variable, problem.line())
    return list(lines.values())


def _problems(found: dict[str, Any], model: type, prefix: str) -> list[Problem]:
    ctx = found.get("ctx") or {}
    if "problems" in ctx:  # the production checks', each already named and explained
        return [Problem(*problem) for problem in ctx["problems"]]
    name, field = _field(found.get("loc") or (), model)
    if field is None:
        return [Problem(prefix.rstrip("_") or "settings", _reason(found), "see the settings")]
    alias = field.validation_alias if isinstance(field.validation_alias, str) else None
    variable = (alias or f"{prefix}{name}").upper()
    reason = _reason(found)
    if found["type"] == "string_pattern_mismatch" and _choices(field):
        reason = _SIMPLE["literal_error"][0]
    return [Problem(variable, reason, _fix(found, name, field))]


def _field(loc: tuple, model: type) -> tuple[str, FieldInfo | None]:
    if not loc:
        return "", None
    fields = model.model_fields
    key = str(loc[0])
    if key in fields:
        return key, fields[key]
    for name, field in fields.items():  # loc holds the alias of an aliased field
        if isinstance(field.validation_alias, str) and field.validation_alias == key:
            return name, field
    return key, None


def _reason(found: dict[str, Any]) -> str:
    kind, ctx = found["type"], found.get("ctx") or {}
    if kind in _BOUNDS:
        return _BOUNDS[kind].format(**{bound: _plain(v) for bound, v in ctx.items()})
    if kind in _SIMPLE:
        return _SIMPLE[kind][0]
    if kind == "value_error":  # the validator's own words, which name no value
        return str(ctx.get("error") or found["msg"])
    message = str(found["msg"])
    return message[0].lower() + message[1:] if message else kind


def _fix(found: dict[str, Any], name: str, field: FieldInfo) -> str:
    if name in FIXES:
        return FIXES[name]
    kind = found["type"]
    if kind in _SIMPLE and _SIMPLE[kind][1]:
        return _SIMPLE[kind][1]
    if kind == "literal_error" or kind == "string_pattern_mismatch":
        choices = _choices(field)
        if choices:
            return "set one of " + ", ".join(choices)
        pattern = (found.get("ctx") or {}).get("pattern")
        return f"set a value matching {pattern}" if pattern else "see the settings"
    if kind in _BOUNDS or kind.startswith(("int_", "float_")):
        return _number_fix(field)
    return "see the settings"


def _choices(field: FieldInfo) -> list[str]:
    literal = [a for a in _flat_args(field.annotation) if typing.get_origin(a) is typing.Literal]
    if literal:
        return [str(value) for value in typing.get_args(literal[0])]
    for meta in field.metadata:
        pattern = getattr(meta, "pattern", None)
        if isinstance(pattern, str) and (listed := _CHOICES.match(pattern)):
            return listed.group(1).split("|")
    return []


def _flat_args(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [annotation] if not args or typing.get_origin(annotation) is typing.Literal else args


def _number_fix(field: FieldInfo) -> str:
    whole = int in _flat_args(field.annotation)
    bounds = {
        bound: getattr(meta, bound)
        for meta in field.metadata
        for bound in ("gt", "ge", "lt", "le")
        if getattr(meta, bound, None) is not None
    }
    if whole:  # a whole number's strict bounds as inclusive ones
        if "gt" in bounds:
            bounds["ge"] = bounds.pop("gt") + 1
        if "lt" in bounds:
            bounds["le"] = bounds.pop("lt") - 1
    kind = "a whole number" if whole else "a number"
    if "ge" in bounds and "le" in bounds:
        return f"set {kind} from {_plain(bounds['ge'])} to {_plain(bounds['le'])}"
    words = {"gt": "above", "ge": "of at least", "lt": "below", "le": "of at most"}
    limits = [f"{words[bound]} {_plain(value)}" for bound, value in bounds.items()]
    return f"set {kind}" + (f" {' and '.join(limits)}" if limits else "")


def _plain(number: object) -> str:
    """0.0 as 0, 0.5 as 0.5, 65536 as 65536."""
    return f"{number:g}" if isinstance(number, float) else str(number)
