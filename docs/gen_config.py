"""Writes the configuration page from the code that reads the configuration.

Every key of the run config (the pydantic models of `configs/schema.py`) and every environment
setting (`configs/settings.py` `Settings`, the serving settings) becomes a row: its name, type,
default and description. A description is the field's `Field(description=...)`, else the
comment beside the field or just above it in the source, else its entry in
`docs/config_descriptions.yaml`. A comment block above a field that has its own description
introduces the rows from there on. Secrets show "secret", never a value.

    python docs/gen_config.py [OUT]     # default docs/pages/configuration.md
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import sys
import tokenize
import types
import typing
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
PAGE = DOCS / "pages" / "configuration.md"
NOTES = yaml.safe_load((DOCS / "config_descriptions.yaml").read_text())
USED: set[str] = set()  # the entries of the descriptions file that a field used
WORDS = {int: "integer", float: "number", str: "text", bool: "true or false", Path: "path"}


def serving_settings_model() -> type[BaseModel]:
    """The serving settings (`RETAINAI_SERVING_*`), wherever they are defined."""
    from configs.settings import ServingSettings

    return ServingSettings


class Comments(NamedTuple):
    beside: dict[str, str]  # field -> the comment on its line
    above: dict[str, str]  # field -> the comment block just above it


def source_comments(model: type[BaseModel]) -> Comments:
    """The comments of a model's fields, read from the source of its class."""
    text = Path(inspect.getsourcefile(model) or "").read_text()
    comments: dict[int, str] = {}
    code_lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            code_lines.update(range(token.start[0], token.end[0] + 1))
    (node,) = [
        n
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.ClassDef) and n.name == model.__name__
    ]
    beside, above = {}, {}
    for item in node.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
            continue
        name, end = item.target.id, item.end_lineno or item.lineno
        if end in comments and end in code_lines and not comments[end].startswith("noqa"):
            beside[name] = comments[end]
        block, line = [], item.lineno - 1
        while line in comments and line not in code_lines:
            block.insert(0, comments[line])
            line -= 1
        if block:
            above[name] = " ".join(block)
    return Comments(beside, above)


def listed(key: str) -> str | None:
    """The descriptions file's entry for a key (`features[].name` stands for every kind)."""
    for candidate in (key, re.sub(r"\[\w+\]", "[]", key)):
        if candidate in NOTES["fields"]:
            USED.add(candidate)
            return NOTES["fields"][candidate]
    return None


def described(key: str, name: str, field: FieldInfo, comments: Comments) -> tuple[str, str]:
    """A field's description, and the note introducing the rows from it on ("" for none)."""
    written, entry = field.description or comments.beside.get(name), listed(key)
    if written and entry:
        raise ValueError(f"{key} is described in the source: drop it from the descriptions file")
    block = comments.above.get(name, "")
    if written or entry:
        return written or entry, block
    if block:
        return block, ""
    raise ValueError(f"{key} has no description: add a comment beside the field")


def table(
    rows: list[tuple[str, str, FieldInfo, Comments, str]], first: str, links: dict[type, str]
) -> list[str]:
    """One table of fields (label, key, field...), split where a note introduces fields."""
    header = [f"| {first} | type | default | description |", "|---|---|---|---|"]
    lines = ["", *header]
    for label, key, field, comments, name in rows:
        text, note = described(key, name, field, comments)
        if note:
            lines = lines[: -len(header)] if lines[-len(header) :] == header else lines
            lines += ["", cell(sentence(note)), "", *header]
        kind = type_text(field.annotation, links) + limits(field)
        parts = (label, kind, default_text(field), sentence(text))
        lines.append("| " + " | ".join(cell(part) for part in parts) + " |")
    return lines


def type_text(annotation: Any, links: dict[type, str]) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_text(args[0], links)
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        if all(isinstance(a, type) and issubclass(a, BaseModel) for a in kept) and len(kept) > 1:
            return "one of the kinds below"
        return " or ".join(type_text(a, links) for a in kept)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return "list of " + type_text(args[0], links).replace("pair of", "pairs of")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"comma-separated {type_text(args[0], links)} values"
        return f"{len(args) if len(args) > 2 else 'pair'} of {type_text(args[0], links)}"
    if origin is dict:
        return f"mapping of {type_text(args[0], links)} to {type_text(args[1], links)}"
    if annotation is SecretStr:
        return "text (secret)"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{links[annotation]}](#{anchor(links[annotation])})"
    if annotation is Any:
        return "any value"
    return WORDS.get(annotation, getattr(annotation, "__name__", str(annotation)))


def limits(field: FieldInfo) -> str:
    bounds = []
    for item in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(item, attr, None) is not None:
                bounds.append(f"{sign} {getattr(item, attr):,}")
        if getattr(item, "min_length", None):
            bounds.append(f"at least {item.min_length}")
        pattern = getattr(item, "pattern", None) or ""
        if pattern.startswith("^(") and pattern.endswith(")$") and "\\" not in pattern:
            bounds.append("one of " + ", ".join(f"`{v}`" for v in pattern[2:-2].split("|")))
    return f" ({', '.join(bounds)})" if bounds else ""


def value_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "its defaults"
    if isinstance(value, Path):
        shown = value.relative_to(REPO) if value.is_absolute() else value
        return f"`{shown}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`' if value else '`""`'
    if isinstance(value, int | float):
        return f"`{value}`"
    if isinstance(value, tuple) and not value:
        return "none"
    if isinstance(value, list | dict) and not value:
        return "`[]`" if isinstance(value, list) else "`{}`"
    return "`" + yaml.safe_dump(value, default_flow_style=True, width=1000).strip() + "`"


def default_text(field: FieldInfo) -> str:
    if field.annotation is SecretStr or SecretStr in typing.get_args(field.annotation):
        return "secret"
    if field.default_factory is not None:
        return value_text(field.default_factory())
    if field.default is PydanticUndefined:
        return "required"
    return value_text(field.default)


def cell(text: str) -> str:
    """Table cell text: pipes escaped, and angle brackets outside code spans shown as such."""
    parts = text.replace("\n", " ").split("`")
    parts[::2] = [p.replace("<", "&lt;").replace(">", "&gt;") for p in parts[::2]]
    return "`".join(parts).replace("|", "\\|")


def sentence(text: str) -> str:
    """A comment as a sentence: a capital first letter (unless it starts a name) and a stop."""
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", ")", "!", "?")) else text + "."


def anchor(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def nested(annotation: Any) -> list[tuple[str, type[BaseModel]]]:
    """The models a field's type holds, each with the suffix of its key path."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [("", annotation)]
    if origin is typing.Annotated:
        return nested(args[0])
    if origin in (typing.Union, types.UnionType):
        return [found for a in args for found in nested(a)]
    if origin is list:
        return [("[]" + suffix, model) for suffix, model in nested(args[0])]
    if origin is dict and (inner := nested(args[1])):
        key = NOTES["placeholders"][inner[0][1].__name__]
        return [(f".<{key}>" + suffix, model) for suffix, model in inner]
    return []


def model_sections(model: type[BaseModel], key: str) -> list[tuple[str, str, type[BaseModel]]]:
    """Every model of the run config with its title and key path, depth first in field order
    (a kind of a list of kinds is keyed `list[kind]`)."""
    title = re.sub(r"\[(\w+)\]$", r"[] (kind: \1)", key)
    found = [(title, key, model)]
    for name, field in model.model_fields.items():
        for suffix, inner in nested(field.annotation):
            kind = inner.model_fields.get("kind")
            kind_name = typing.get_args(kind.annotation)[0] if kind is not None else ""
            suffix = suffix.replace("[]", f"[{kind_name}]") if kind_name else suffix
            found += model_sections(inner, f"{key}.{name}{suffix}".lstrip("."))
    return found


def run_config_page(root: type[BaseModel]) -> list[str]:
    sections = model_sections(root, "")
    links = {model: title or "top level" for title, _, model in reversed(sections)}
    lines = []
    for title, key, model in sections:
        heading = f"`{title}`" if title else "Top level"
        lines += ["", f"### {heading} {{#{anchor(title or 'top level')}}}"]
        if model.__doc__ and model.__doc__ != BaseModel.__doc__:
            lines += ["", " ".join((inspect.getdoc(model) or "").split())]
        comments = source_comments(model)
        rows = [
            (f"`{name}`", f"{key}.{name}".lstrip("."), field, comments, name)
            for name, field in model.model_fields.items()
        ]
        lines += table(rows, "key", links)
    return lines


def settings_page(model: type[BaseSettings], links: dict | None = None) -> list[str]:
    """One row per variable; `links`: the headings of the sections a field holds."""
    prefix = model.model_config.get("env_prefix", "")
    comments = source_comments(model)
    rows = []
    for name, field in model.model_fields.items():
        alias = field.validation_alias  # a variable named outside the prefix
        variable = (alias if isinstance(alias, str) else f"{prefix}{name}").upper()
        rows.append((f"`{variable}`", variable, field, comments, name))
    return table(rows, "variable", links or {})


def render() -> str:
    from configs.schema import RunConfig
    from configs.settings import Settings

    USED.clear()
    text = NOTES["page"]
    lines = [text["top"].strip(), "", "## The run config", "", text["run_config"].strip()]
    lines += run_config_page(RunConfig)
    lines += ["", "## Environment settings", "", text["settings"].strip()]
    lines += settings_page(Settings, {serving_settings_model(): "Serving settings"})
    lines += ["", "## Serving settings", "", text["serving"].strip()]
    lines += settings_page(serving_settings_model())
    unused = sorted(set(NOTES["fields"]) - USED)
    if unused:
        raise ValueError(f"the descriptions file describes no field named {unused}")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def main(out: Path = PAGE) -> None:
    out.write_text(render())
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else PAGE)
