"""Dated policy parameters, OpenFisca style: each value holds from its date until the next one.

A parameter is either a table of dated values, each with the source it comes from, or a
formula over other parameters (``tekun_factor * dibao_standard``). Formulas are parsed with
:mod:`ast` into a closure that only adds, subtracts, multiplies and divides Decimals: no
``eval``, no names other than parameters.

A dated value may also be a list of numbers (the service hours at which certificates are
given, say). Such a list parameter is read with :meth:`Parameter.own_list`; it takes no part in
formulas, and reading it as a number is an error rather than a silent surprise.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

Evaluator = Callable[[Mapping[str, Decimal]], Decimal]


class ParameterNotInForce(LookupError):
    """A parameter was asked for on a date it has no value (before its first date or after it ended)."""


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """One value of a parameter as used on a date: what it is, since when, and on whose authority."""

    value: Decimal
    since: date
    source: str


@dataclass(frozen=True, slots=True)
class ParameterList:
    """One value of a list parameter as used on a date: its numbers in order, since when, on whose authority."""

    items: tuple[Decimal, ...]
    since: date
    source: str


@dataclass(frozen=True, slots=True)
class Formula:
    """A safe arithmetic expression over parameter names and decimal constants."""

    text: str
    names: tuple[str, ...]
    evaluate: Evaluator


_OPERATORS: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def parse_formula(text: str) -> Formula:
    """Compile ``text`` (names, numbers, + - * /, parentheses); anything else raises ValueError."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ValueError(f"formula {text!r} is not valid: {error.msg}") from error
    names: list[str] = []

    def build(node: ast.AST) -> Evaluator:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right, op = build(node.left), build(node.right), _OPERATORS[type(node.op)]
            return lambda values: op(left(values), right(values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = build(node.operand)
            return lambda values: -operand(values)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            # Through str, so 1.3 is exactly 1.3 and not its binary approximation.
            constant = Decimal(str(node.value))
            return lambda values: constant
        if isinstance(node, ast.Name):
            name = node.id
            names.append(name)
            return lambda values: values[name]
        raise ValueError(f"formula {text!r}: only parameter names, numbers and + - * / are allowed")

    evaluate = build(tree.body)
    return Formula(text=text, names=tuple(dict.fromkeys(names)), evaluate=evaluate)


@dataclass(frozen=True, slots=True)
class Parameter:
    """A named parameter: dated values (``None`` ends it) or a formula over other parameters."""

    name: str
    description: str
    unit: str
    starts: tuple[date, ...] = ()
    values: tuple[ParameterValue | ParameterList | None, ...] = ()
    formula: Formula | None = None

    @property
    def is_list(self) -> bool:
        return any(isinstance(v, ParameterList) for v in self.values)

    def own_value(self, on: date) -> ParameterValue:
        """The dated number in force on ``on``; a formula parameter has none of its own.

        Raises:
            TypeError: the parameter is a list (read it with :meth:`own_list`).
        """
        found = self._dated(on)
        if not isinstance(found, ParameterValue):
            raise TypeError(f"parameter {self.name!r} is a list of numbers, not a number")
        return found

    def own_list(self, on: date) -> ParameterList:
        """The dated list in force on ``on``.

        Raises:
            TypeError: the parameter is a number or a formula.
        """
        if self.formula is not None:
            raise TypeError(f"parameter {self.name!r} is a formula, not a list")
        found = self._dated(on)
        if not isinstance(found, ParameterList):
            raise TypeError(f"parameter {self.name!r} is a number, not a list")
        return found

    def _dated(self, on: date) -> ParameterValue | ParameterList:
        index = bisect.bisect_right(self.starts, on) - 1
        if index < 0:
            first = self.starts[0].isoformat() if self.starts else "never"
            raise ParameterNotInForce(f"parameter {self.name!r} has no value on {on.isoformat()} (first from {first})")
        found = self.values[index]
        if found is None:
            raise ParameterNotInForce(
                f"parameter {self.name!r} has no value on {on.isoformat()} (ended {self.starts[index].isoformat()})"
            )
        return found


def resolve(parameters: Mapping[str, Parameter], name: str, on: date,
            memo: dict[str, ParameterValue]) -> ParameterValue:
    """The value of ``name`` on ``on``; a formula is in force since the latest of its inputs' dates."""
    found = memo.get(name)
    if found is not None:
        return found
    parameter = parameters.get(name)
    if parameter is None:
        raise KeyError(f"no parameter {name!r} in this pack")
    if parameter.formula is None:
        found = parameter.own_value(on)
    else:
        try:
            inputs = {n: resolve(parameters, n, on, memo) for n in parameter.formula.names}
        except ParameterNotInForce as error:
            raise ParameterNotInForce(f"parameter {name!r} has no value on {on.isoformat()}: {error}") from None
        value = parameter.formula.evaluate({n: v.value for n, v in inputs.items()})
        basis = "; ".join(f"{n} = {v.value} since {v.since.isoformat()}: {v.source}" for n, v in inputs.items())
        found = ParameterValue(
            value=value,
            since=max((v.since for v in inputs.values()), default=on),
            source=f"{parameter.formula.text} ({basis})",
        )
    memo[name] = found
    return found


@dataclass(frozen=True, slots=True)
class ParameterSet:
    """Every parameter of a pack resolved for one date: built once per date, then plain lookups."""

    on: date
    values: Mapping[str, ParameterValue]
    _subsets: dict[tuple[str, ...], Mapping[str, ParameterValue]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def subset(self, *names: str) -> Mapping[str, ParameterValue]:
        """The named parameters as one mapping, built once per date and shared by every trace that uses it."""
        found = self._subsets.get(names)
        if found is None:
            found = self._subsets[names] = MappingProxyType({name: self.values[name] for name in names})
        return found

    def __getitem__(self, name: str) -> ParameterValue:
        return self.values[name]

    def value(self, name: str) -> Decimal:
        return self.values[name].value
