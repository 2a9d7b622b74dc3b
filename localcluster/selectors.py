"""Label and field selectors, with the semantics of the Kubernetes API server.

Label selector strings (`labelSelector=` query parameter) follow upstream's grammar: `k=v`, `k==v`, `k!=v`,
`k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, joined by commas (AND). `match_label_selector`
evaluates a `LabelSelector` object (`matchLabels` + `matchExpressions`) as found in Deployments, PDBs,
Services (a plain map), where `None` selects nothing and `{}` selects everything.

Field selectors (`fieldSelector=`) support `=`, `==` and `!=` on the fields a kind declares selectable (its
module in api/kinds/ names them, as upstream's per-kind field label conversion does); any other field is an
error. Every parse error raises `ValueError` whose message the API returns with 400.

Near 400 lines because label grammar, LabelSelector objects and the field-selector grammar form the one
selector vocabulary the API server, controllers and scheduler share; splitting it would scatter it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "COMMON_FIELDS",
    "FieldGetter",
    "FieldRequirement",
    "LabelRequirement",
    "bool_field",
    "field_value",
    "match_label_selector",
    "matches_field_selector",
    "matches_label_requirements",
    "parse_field_selector",
    "parse_label_selector",
    "path_field",
    "selector_to_string",
]

_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SPECIAL = "=!(),<>"
FieldGetter = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class LabelRequirement:
    """One term of a label selector: `key <operator> values`."""

    key: str
    operator: str  # one of: in, notin, exists, !, gt, lt ('=' and '==' become 'in', '!=' 'notin')
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when the labels satisfy this requirement."""
        op = self.operator
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op == "in":
            return self.key in labels and labels[self.key] in self.values
        if op == "notin":
            return self.key not in labels or labels[self.key] not in self.values
        if self.key not in labels:
            return False
        try:
            have = int(labels[self.key])
        except ValueError:
            return False
        want = int(self.values[0])
        return have > want if op == "gt" else have < want


def validate_label_key(key: str) -> None:
    """Raise ValueError unless `key` is a qualified name (`[prefix/]name`)."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.match(prefix)):
        raise ValueError(f"invalid label key {key!r}: prefix part must be a lowercase DNS subdomain")
    if not name or len(name) > 63 or not _NAME_RE.match(name):
        raise ValueError(
            f"invalid label key {key!r}: name part must be at most 63 characters, alphanumerics, "
            "'-', '_' or '.', starting and ending with an alphanumeric character"
        )


def validate_label_value(value: str) -> None:
    """Raise ValueError unless `value` is a valid label value (may be empty)."""
    if not isinstance(value, str):
        raise ValueError(f"invalid label value {value!r}: label values must be strings")
    if value and (len(value) > 63 or not _NAME_RE.match(value)):
        raise ValueError(
            f"invalid label value {value!r}: must be at most 63 characters, alphanumerics, '-', '_' or '.', "
            "starting and ending with an alphanumeric character"
        )


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _SPECIAL:
            two = text[i : i + 2]
            if two in ("==", "!="):
                tokens.append(two)
                i += 2
            else:
                tokens.append(ch)
                i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            tokens.append(text[i:j])
            i = j
    return tokens


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def fail(self, found: str | None, expected: str) -> ValueError:
        shown = "" if found is None else found
        return ValueError(f"unable to parse requirement: found '{shown}', expected: {expected}")

    def identifier(self, what: str) -> str:
        tok = self.take()
        if tok is None or tok in _SPECIAL or tok in ("==", "!="):
            raise self.fail(tok, what)
        return tok

    def requirement(self) -> LabelRequirement:
        if self.peek() == "!":
            self.take()
            key = self.identifier("identifier after '!'")
            validate_label_key(key)
            return LabelRequirement(key, "!")
        key = self.identifier("identifier")
        validate_label_key(key)
        op = self.peek()
        if op is None or op == ",":
            return LabelRequirement(key, "exists")
        self.take()
        if op in ("=", "==", "!="):
            value = "" if self.peek() in (None, ",") else self.identifier("identifier")
            validate_label_value(value)
            return LabelRequirement(key, "notin" if op == "!=" else "in", (value,))
        if op in ("in", "notin"):
            return LabelRequirement(key, op, self.value_set())
        if op in (">", "<"):
            value = self.identifier("integer")
            if not re.fullmatch(r"-?\d+", value):
                raise ValueError(f"unable to parse requirement: for '{op}' the value must be an integer")
            return LabelRequirement(key, "gt" if op == ">" else "lt", (value,))
        raise self.fail(op, "'=', '!=', '==', 'in', 'notin'")

    def value_set(self) -> tuple[str, ...]:
        tok = self.take()
        if tok != "(":
            raise self.fail(tok, "'('")
        values: list[str] = []
        if self.peek() == ")":
            self.take()
            return ("",)
        while True:
            tok = self.peek()
            value = "" if tok in (",", ")") else self.identifier("identifier")
            validate_label_value(value)
            values.append(value)
            sep = self.take()
            if sep == ")":
                return tuple(values)
            if sep != ",":
                raise self.fail(sep, "',' or ')'")

    def parse(self) -> list[LabelRequirement]:
        if not self.tokens:
            return []
        reqs = [self.requirement()]
        while self.peek() is not None:
            tok = self.take()
            if tok != ",":
                raise self.fail(tok, "','")
            reqs.append(self.requirement())
        return reqs


def parse_label_selector(text: str | None) -> list[LabelRequirement]:
    """Parse a label selector string; an empty string or None selects everything ([])."""
    if not text or not text.strip():
        return []
    return _LabelParser(text).parse()


def matches_label_requirements(reqs: list[LabelRequirement], labels: Mapping[str, str] | None) -> bool:
    """True when every requirement holds for the labels (an empty list matches everything)."""
    have = labels or {}
    return all(r.matches(have) for r in reqs)


def _expression(expr: Mapping[str, Any]) -> LabelRequirement:
    key = expr.get("key")
    op = expr.get("operator")
    values = tuple(expr.get("values") or ())
    if not isinstance(key, str) or not key:
        raise ValueError("matchExpressions[].key must be a non-empty string")
    if op in ("In", "NotIn"):
        if not values:
            raise ValueError(f"matchExpressions key {key!r}: operator {op} needs at least one value")
        return LabelRequirement(key, "in" if op == "In" else "notin", tuple(str(v) for v in values))
    if op in ("Exists", "DoesNotExist"):
        if values:
            raise ValueError(f"matchExpressions key {key!r}: operator {op} takes no values")
        return LabelRequirement(key, "exists" if op == "Exists" else "!")
    raise ValueError(
        f"matchExpressions key {key!r}: unknown operator {op!r} (use In, NotIn, Exists or DoesNotExist)"
    )


def label_selector_requirements(selector: Mapping[str, Any]) -> list[LabelRequirement]:
    """Requirements of a LabelSelector object; raises ValueError on a malformed expression."""
    reqs = [LabelRequirement(k, "in", (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()]
    reqs.extend(_expression(e) for e in selector.get("matchExpressions") or ())
    return reqs


def match_label_selector(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """Evaluate a LabelSelector object against labels, as upstream's LabelSelectorAsSelector does.

    None selects nothing; `{}` (no matchLabels, no matchExpressions) selects everything. A malformed
    expression (unknown operator, In without values) selects nothing, as upstream controllers treat it.
    """
    if selector is None:
        return False
    try:
        reqs = label_selector_requirements(selector)
    except ValueError:
        return False
    return matches_label_requirements(reqs, labels)


def selector_to_string(selector: Mapping[str, Any] | None) -> str:
    """Render a LabelSelector object (or a plain map) as a selector string, e.g. for Scale.status.selector."""
    if not selector:
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    parts: list[str] = []
    for r in label_selector_requirements(selector):
        if r.operator == "in" and len(r.values) == 1:
            parts.append(f"{r.key}={r.values[0]}")
        elif r.operator in ("in", "notin"):
            parts.append(f"{r.key} {r.operator} ({','.join(sorted(r.values))})")
        elif r.operator == "exists":
            parts.append(r.key)
        else:
            parts.append(f"!{r.key}")
    return ",".join(parts)


# ----------------------------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class FieldRequirement:
    """One term of a field selector: `field = value` or `field != value`."""

    field: str
    value: str
    negate: bool


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    cur: Any = obj
    for part in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def path_field(path: str) -> FieldGetter:
    """A field read along a dotted path ('source.component'), as text ('' when missing)."""
    parts = tuple(path.split("."))
    return lambda obj: _text(_get(obj, *parts))


def bool_field(path: str) -> FieldGetter:
    """A boolean field ('spec.unschedulable'): 'true' or 'false', a missing one is 'false'."""
    parts = tuple(path.split("."))
    return lambda obj: _text(bool(_get(obj, *parts)))


COMMON_FIELDS = ("metadata.name", "metadata.namespace")


def _unescape(value: str, term: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value) or value[i + 1] not in "\\,=":
                raise ValueError(f"invalid field selector term {term!r}: invalid escape sequence")
            out.append(value[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    terms, cur, escaped = [], [], False
    for ch in text:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            cur.append(ch)
            escaped = True
        elif ch == ",":
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return terms


def _parse_term(term: str) -> FieldRequirement:
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                field = term[:i].strip()
                if not field:
                    raise ValueError(f"invalid field selector term {term!r}: missing field name")
                return FieldRequirement(field, _unescape(term[i + len(op) :], term), op == "!=")
    raise ValueError(
        f"invalid selector: {term!r}; can't understand {term!r} (use field=value or field!=value)"
    )


def parse_field_selector(text: str | None, resource: str, fields: tuple[str, ...] = ()) -> list[FieldRequirement]:
    """Parse a field selector for `resource` (named in errors) whose kind declares `fields` selectable beyond
    metadata.name and metadata.namespace; an unknown field raises ValueError."""
    if not text or not text.strip():
        return []
    allowed = COMMON_FIELDS + fields
    reqs = []
    for term in _split_terms(text):
        if not term.strip():
            continue
        req = _parse_term(term)
        if req.field not in allowed:
            raise ValueError(
                f'field label not supported: {req.field} (for {resource}: {", ".join(allowed)})'
            )
        reqs.append(req)
    return reqs


def field_value(obj: Mapping[str, Any], field: str, getters: Mapping[str, FieldGetter] | None = None) -> str:
    """The string value of a selectable field of an object: the kind's getter for it, else its dotted path
    (booleans as 'true'/'false', missing as '')."""
    getter = (getters or {}).get(field)
    return getter(obj) if getter else path_field(field)(obj)


def matches_field_selector(
    reqs: list[FieldRequirement], obj: Mapping[str, Any], getters: Mapping[str, FieldGetter] | None = None
) -> bool:
    """True when the object satisfies every field requirement (`getters`: the kind's, see field_value)."""
    for req in reqs:
        equal = field_value(obj, req.field, getters) == req.value
        if equal == req.negate:
            return False
    return True
