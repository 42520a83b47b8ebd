"""The request schema of one customer, derived from the run config when the app is created."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from typing_extensions import TypedDict

from configs.schema import NumericColumn, RunConfig
from tasks.core.labels import canonical_id

MAX_ERRORS = 50  # validation errors listed in one response


class InputError(Exception):
    """Client input the API refuses: status code and FastAPI-style error items."""

    def __init__(self, status: int, errors: list[dict[str, Any]]):
        super().__init__(errors[0]["msg"] if errors else "invalid input")
        self.status = status
        self.errors = errors


def _integer_text(value: Any) -> Any:
    """A JSON number for a category spelled as an integer ("0"/"1") reads as its text."""
    if type(value) is float and value.is_integer():
        value = int(value)
    return str(value) if type(value) is int else value


def _id_text(value: Any) -> Any:
    """An id given as a whole JSON number is stored as text without a decimal part (6273);
    other numbers are not ids and stay numbers (refused as not a string)."""
    if type(value) is int or (type(value) is float and value.is_integer()):
        return canonical_id(value)
    return value


_ID = Annotated[
    str,
    Field(min_length=1, max_length=64),
    BeforeValidator(_id_text),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 64}, {"type": "integer"}]}
    ),
]


def _integral(value: Any) -> Any:
    """5.0 is the integer 5 (as in JSON Schema); 5.5, "5" and true stay errors."""
    return int(value) if type(value) is float and value.is_integer() else value


def _numeric_field(rule: NumericColumn) -> Any:
    limits = {"ge": rule.min, "le": rule.max}
    if rule.integer:
        kind = Annotated[int, Field(strict=True, **limits), BeforeValidator(_integral)]
    else:
        kind = Annotated[float, Field(strict=True, allow_inf_nan=False, **limits)]
    return NotRequired[kind | None] if rule.blank else kind


def _categorical_field(allowed: list[str]) -> Any:
    kind = Literal[tuple(allowed)]  # type: ignore[valid-type]
    if all(value.lstrip("-").isdigit() for value in allowed):
        documented = WithJsonSchema({"enum": [*allowed, *(int(v) for v in allowed)]})
        return Annotated[kind, BeforeValidator(_integer_text), documented]
    return kind


def customer_type(config: RunConfig) -> type:
    """A TypedDict of the customer columns: ranges, allowed values, no unknown fields."""
    data = config.dataset
    fields: dict[str, Any] = {}
    if data.id_column:
        fields[data.id_column] = NotRequired[_ID]
    fields.update({name: _numeric_field(rule) for name, rule in data.numeric.items()})
    fields.update({name: _categorical_field(v) for name, v in data.categorical.items()})
    customer = TypedDict("Customer", fields)  # type: ignore[operator]
    customer.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return customer


@dataclass(frozen=True)
class CustomerParser:
    """Parses a request body (one customer or a list) into model input records."""

    config: RunConfig
    max_batch: int
    customer: type
    one: TypeAdapter
    many: TypeAdapter

    @classmethod
    def from_config(cls, config: RunConfig, max_batch: int) -> CustomerParser:
        customer = customer_type(config)
        many = TypeAdapter(Annotated[list[customer], Field(min_length=1, max_length=max_batch)])
        return cls(config, max_batch, customer, TypeAdapter(customer), many)

    def json_schema(self) -> dict[str, Any]:
        """The Customer JSON schema, with each `blank` rule as an anyOf (value, or the case)."""
        schema = self.one.json_schema(ref_template="#/components/schemas/{model}")
        rules = []
        for name, rule in self.config.dataset.numeric.items():
            if rule.blank is not None:
                when = rule.blank.when_column
                equals = (
                    int(rule.blank.equals) if rule.blank.equals.is_integer() else rule.blank.equals
                )
                rules.append(
                    {
                        "anyOf": [
                            {"properties": {name: {"type": "number"}}, "required": [name]},
                            {"properties": {when: {"const": equals}}, "required": [when]},
                        ]
                    }
                )
        if rules:
            schema["allOf"] = rules
        return schema

    def parse(self, body: bytes) -> tuple[list[dict[str, Any]], bool]:
        """(records, single): validated customers with blanks filled, or InputError."""
        start = body.lstrip()[:1]
        if start not in (b"{", b"["):
            message = "the body must be a JSON object (one customer) or an array of customers"
            raise InputError(422, [{"loc": ["body"], "msg": message, "type": "json_type"}])
        single = start == b"{"
        try:
            records = [self.one.validate_json(body)] if single else self.many.validate_json(body)
        except ValidationError as exc:
            raise self._refusal(exc) from None
        return self._finish(records, single), single

    def _refusal(self, exc: ValidationError) -> InputError:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(e["type"] == "too_long" and e["loc"] == () for e in errors):
            message = f"a request may hold at most {self.max_batch} customers"
            return InputError(413, [{"loc": ["body"], "msg": message, "type": "too_long"}])
        items = [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in errors[:MAX_ERRORS]
        ]
        if len(errors) > MAX_ERRORS:
            more = f"{len(errors) - MAX_ERRORS} more errors not shown"
            items.append({"loc": ["body"], "msg": more, "type": "truncated"})
        return InputError(422, items)

    def _finish(self, records: list[dict], single: bool) -> list[dict[str, Any]]:
        """Numbers as floats (as the pipeline was trained); apply each `blank` rule."""
        errors = []
        for name, rule in self.config.dataset.numeric.items():
            blank = rule.blank
            for row, record in enumerate(records):
                value = record.get(name)
                if value is not None:
                    record[name] = float(value)
                elif blank is not None and record[blank.when_column] == blank.equals:
                    record[name] = float(blank.fill)
                else:
                    loc = ["body", name] if single else ["body", row, name]
                    msg = f"may be blank only where {blank.when_column} is {blank.equals:g}"
                    errors.append({"loc": loc, "msg": msg, "type": "missing"})
        if errors:
            raise InputError(422, errors[:MAX_ERRORS])
        return records
