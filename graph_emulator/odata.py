"""The slice of OData query syntax sync code uses: ``$filter`` expressions and ``$expand``.

``$filter`` supports ``eq ne gt ge lt le``, ``and or not``, parentheses, ``contains`` and
``startswith``, and ``any`` lambdas (``singleValueExtendedProperties/any(ep: ep/id eq '...')``,
``categories/any(c: c eq 'x')``), evaluated against the event JSON Graph would return.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .errors import bad_request

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<dt>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<punct>[(),:])
  | (?P<name>[A-Za-z_@$][\w@./$-]*)
)""",
    re.VERBOSE,
)
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise bad_request(
                f"Invalid filter clause: syntax error at position {pos} in '{text}'.", "BadRequest"
            )
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            out.append(("lit", value[1:-1].replace("''", "'")))
        elif kind == "dt":
            out.append(("lit", _as_datetime(value)))
        elif kind == "num":
            out.append(("lit", float(value) if "." in value else int(value)))
        elif kind == "name" and value in ("true", "false", "null"):
            out.append(("lit", {"true": True, "false": False, "null": None}[value]))
        else:
            out.append((kind, value))
    return out


def _as_datetime(value: Any) -> Any:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        return value
    text = value.rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        frac = re.match(r"\d*", frac).group(0)[:6]  # type: ignore[union-attr]
        text = f"{head}.{frac}" if frac else head
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _resolve(item: Any, path: str) -> Any:
    for part in path.split("/"):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.text = text

    def fail(self) -> Exception:
        return bad_request(f"Invalid filter clause: '{self.text}'.", "BadRequest")

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, value: Any = None) -> tuple[str, Any]:
        token = self.peek()
        if (
            token is None
            or (kind and token[0] != kind)
            or (value is not None and token[1] != value)
        ):
            raise self.fail()
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.or_expr({})
        if self.peek() is not None:
            raise self.fail()
        return lambda item: bool(predicate(item, {}))

    def or_expr(self, scope: dict[str, Any]) -> Callable[..., Any]:
        return self.chain(scope, "or", self.and_expr, settled_by=True)

    def and_expr(self, scope: dict[str, Any]) -> Callable[..., Any]:
        return self.chain(scope, "and", self.unary, settled_by=False)

    def chain(
        self,
        scope: dict[str, Any],
        keyword: str,
        operand: Callable[[dict[str, Any]], Callable[..., Any]],
        *,
        settled_by: bool,
    ) -> Callable[..., Any]:
        """``operand`` (``keyword`` ``operand``)*, evaluated left to right as Python's ``or``
        (``settled_by=True``) or ``and`` (``settled_by=False``): the first operand whose truth
        is ``settled_by`` is the value, the others are not evaluated."""
        left = operand(scope)
        while self.peek() == ("name", keyword):
            self.take()
            right = operand(scope)

            def joined(i, s, a=left, b=right):
                first = a(i, s)
                return first if bool(first) is settled_by else b(i, s)

            left = joined
        return left

    def unary(self, scope: dict[str, Any]) -> Callable[..., Any]:
        if self.peek() == ("name", "not"):
            self.take()
            inner = self.unary(scope)
            return lambda i, s: not inner(i, s)
        return self.comparison(scope)

    def comparison(self, scope: dict[str, Any]) -> Callable[..., Any]:
        left = self.operand(scope)
        token = self.peek()
        if token and token[0] == "name" and token[1] in COMPARISONS:
            self.take()
            right = self.operand(scope)
            return lambda i, s, op=token[1]: _compare(op, left(i, s), right(i, s))
        return left

    def operand(self, scope: dict[str, Any]) -> Callable[..., Any]:
        kind, value = self.take()
        if kind == "lit":
            return lambda i, s, v=value: v
        if kind == "punct" and value == "(":
            inner = self.or_expr(scope)
            self.take("punct", ")")
            return inner
        if kind != "name":
            raise self.fail()
        if value in ("contains", "startswith", "endswith") and self.peek() == ("punct", "("):
            self.take()
            first = self.operand(scope)
            self.take("punct", ",")
            second = self.operand(scope)
            self.take("punct", ")")
            test = {
                "contains": lambda a, b: b in a,
                "startswith": str.startswith,
                "endswith": str.endswith,
            }[value]
            return lambda i, s: (
                isinstance(first(i, s), str)
                and isinstance(second(i, s), str)
                and test(first(i, s).lower(), second(i, s).lower())
            )
        if self.peek() == ("punct", "(") and value.lower().endswith(("/any", "/all")):
            collection, quantifier = value.rsplit("/", 1)
            self.take()
            var = self.take("name")[1]
            self.take("punct", ":")
            body = self.or_expr({**scope, var: True})
            self.take("punct", ")")
            agg = any if quantifier.lower() == "any" else all

            def lam(i: Any, s: dict[str, Any], coll: str = collection, v: str = var) -> bool:
                items = self._path(coll, scope)(i, s) or []
                return agg(body(i, {**s, v: element}) for element in items)

            return lam
        return self._path(value, scope)

    @staticmethod
    def _path(value: str, scope: dict[str, Any]) -> Callable[..., Any]:
        head, _, rest = value.partition("/")
        if head in scope:
            return lambda i, s: s[head] if not rest else _resolve(s[head], rest)
        return lambda i, s: _resolve(i, value)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(right, datetime) or isinstance(left, datetime):
        left, right = _as_datetime(left), _as_datetime(right)
    if isinstance(left, str) and isinstance(right, str) and op in ("eq", "ne"):
        left, right = left.lower(), right.lower()
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[
            op
        ]
    except TypeError:
        return False


def parse_filter(text: str) -> Predicate:
    """Compile a ``$filter`` expression into a predicate over event JSON."""
    return _Parser(text).parse()


def parse_expand(text: str) -> tuple[bool, list[str] | None]:
    """``$expand=singleValueExtendedProperties($filter=id eq '...')`` -> (expand all?, ids)."""
    text = text.strip()
    match = re.fullmatch(
        r"singleValueExtendedProperties(?:\((.*)\))?", text, re.IGNORECASE | re.DOTALL
    )
    if not match:
        raise bad_request(
            f"Parsing OData Select and Expand failed: Could not find a property named '{text}' on type 'microsoft.graph.event'.",
            "BadRequest",
        )
    if not match.group(1):
        return True, None
    inner = re.fullmatch(r"\s*\$filter\s*=\s*(.*)", match.group(1), re.DOTALL)
    if not inner:
        raise bad_request("Only $filter is supported inside $expand.", "BadRequest")
    ids = re.findall(r"id\s+eq\s+'((?:[^']|'')*)'", inner.group(1))
    if not ids:
        raise bad_request(
            "$expand of singleValueExtendedProperties needs $filter=id eq '...'.", "BadRequest"
        )
    return False, [i.replace("''", "'") for i in ids]
