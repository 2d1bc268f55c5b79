"""The subset of XLSForm (XPath) expressions Healthlinks evaluates itself, for `relevant` and `constraint`.

Supported:  ${name} (another question's answer), `.` (this question's answer), a bare name (in a choice_filter:
the choice's column of that name, `region=${region}`), 'text' / "text" and numbers,
comparisons = != < <= > >=, `and`, `or`, `not(...)`, parentheses, selected(${x}, 'code'),
count-selected(${x}), string-length(${x} or .), true(), false().

An expression is parsed once into a small JSON tree (lists) so the browser (static/healthlinks/survey.js) and the
server evaluate the very same tree. Anything outside the subset is reported by `parse` as UnsupportedExpression;
such an expression is kept in the instrument (Kobo/ODK apply it) but Healthlinks' web form ignores it (the upload
page says so)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

Node = list[Any]


class UnsupportedExpression(ValueError):
    pass


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_.\-]*\})
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
      | (?P<func>[a-z][a-z\-]*(?=\s*\())
      | (?P<word>and|or)(?![A-Za-z0-9_\-])
      | (?P<col>[A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_\-(])
      | (?P<dot>\.)
    )""",
    re.VERBOSE,
)
FUNCTIONS = {"selected": 2, "not": 1, "count-selected": 1, "string-length": 1, "true": 0, "false": 0}
COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnsupportedExpression(f"cannot read {text[pos : pos + 20]!r} (position {pos + 1})")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str, *, columns: bool = False) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.columns = columns  # a bare name is a choice's column (choice_filter only)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise UnsupportedExpression(
                f"expected {value or 'more'} at the end" if tok is None else f"unexpected {tok[1]!r}"
            )
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise UnsupportedExpression(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek() == ("word", "or"):
            self.take()
            node = ["or", node, self.and_()]
        return node

    def and_(self) -> Node:
        node = self.cmp()
        while self.peek() == ("word", "and"):
            self.take()
            node = ["and", node, self.cmp()]
        return node

    def cmp(self) -> Node:
        left = self.primary()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in COMPARISONS:
            self.take()
            return ["cmp", tok[1], left, self.primary()]
        return left

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "ref":
            return ["ref", value[2:-1]]
        if kind == "dot":
            return ["self"]
        if kind == "col":
            if not self.columns:
                raise UnsupportedExpression(f"unexpected {value!r}")
            return ["col", value]
        if kind == "str":
            return ["lit", value[1:-1]]
        if kind == "num":
            return ["lit", value]
        if value == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind == "func":
            if value not in FUNCTIONS:
                raise UnsupportedExpression(f"function {value}() is not supported")
            self.take("(")
            args: list[Node] = []
            while self.peek() != ("op", ")"):
                if args:
                    self.take(",")
                args.append(self.or_())
            self.take(")")
            if len(args) != FUNCTIONS[value]:
                raise UnsupportedExpression(f"{value}() takes {FUNCTIONS[value]} argument(s)")
            return ["fn", value, *args]
        raise UnsupportedExpression(f"unexpected {value!r}")


def parse(text: str, *, columns: bool = False) -> Node:
    """Parse an expression of the supported subset into a JSON tree; raise UnsupportedExpression otherwise.
    `columns`: the expression is a choice_filter, whose bare names are the choice's columns."""
    return _Parser(text, columns=columns).parse()


def references(node: Node) -> set[str]:
    if not isinstance(node, list):
        return set()
    if node and node[0] == "ref":
        return {node[1]}
    out: set[str] = set()
    for part in node[1:]:
        out |= references(part)
    return out


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None  # NaN and sNaN cannot be ordered; Infinity is no answer


def _compare(op: str, a: Any, b: Any) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        x: Any = na
        y: Any = nb
    else:
        if (na is None) != (nb is None) and "" in (a, b):  # XPath: number('') is NaN, every comparison false
            return op == "!="
        x, y = str(a), str(b)
    return {
        "=": x == y,
        "!=": x != y,
        "<": x < y,
        "<=": x <= y,
        ">": x > y,
        ">=": x >= y,
    }[op]


def evaluate(node: Node, lookup: Callable[[str], str], current: str = "", columns: dict[str, str] | None = None) -> Any:
    """Evaluate a parsed tree. `lookup(name)` returns another question's answer as text ('' when empty;
    select_multiple as space-separated codes); `current` is the value of `.`; `columns`, a choice's columns
    (in a choice_filter)."""
    head = node[0]
    if head == "lit":
        return node[1]
    if head == "col":
        return (columns or {}).get(node[1], "")
    if head == "ref":
        return lookup(node[1])
    if head == "self":
        return current
    if head == "or":
        return bool(evaluate(node[1], lookup, current, columns)) or bool(evaluate(node[2], lookup, current, columns))
    if head == "and":
        return bool(evaluate(node[1], lookup, current, columns)) and bool(evaluate(node[2], lookup, current, columns))
    if head == "cmp":
        return _compare(
            node[1], evaluate(node[2], lookup, current, columns), evaluate(node[3], lookup, current, columns)
        )
    if head == "fn":
        name, args = node[1], [evaluate(a, lookup, current, columns) for a in node[2:]]
        if name == "selected":
            return str(args[1]) in str(args[0]).split()
        if name == "not":
            return not bool(args[0])
        if name == "count-selected":
            return len(str(args[0]).split())
        if name == "string-length":
            return len(str(args[0]))
        return name == "true"
    raise UnsupportedExpression(f"unknown node {head!r}")
