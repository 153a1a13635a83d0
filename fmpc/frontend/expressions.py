"""Lowering of expressions: constants, names, operators, comparisons, conditionals, indexing,
list literals and f-strings. Comprehensions live in ``comprehensions``, calls in ``calls`` and
``builtins``."""

from __future__ import annotations

import ast
import difflib
import string
from collections.abc import Callable, Sequence

from fmpc.frontend.builder import LowererBase, Undefined
from fmpc.frontend.typesys import PendingType, describe
from fmpc.ir.core import Op, Region, Value
from fmpc.ir.fstring import count_holes
from fmpc.ir.ops import (
    AddOp,
    AndOp,
    CastOp,
    CmpOp,
    FloorDivOp,
    FormatOp,
    IfOp,
    IndexOp,
    LibOp,
    MakeListOp,
    ModOp,
    MulOp,
    NegOp,
    NotOp,
    OrOp,
    SliceOp,
    SubOp,
    TrueDivOp,
    YieldOp,
    arithmetic_result,
)
from fmpc.ir.types import (
    Bool,
    Float,
    Image,
    Int,
    ListType,
    NoneT,
    Patch,
    Str,
    Type,
    is_numeric,
    unwrap_optional,
)

BINARY_OPS: dict[type, tuple[type[Op], str]] = {
    ast.Add: (AddOp, "+"),
    ast.Sub: (SubOp, "-"),
    ast.Mult: (MulOp, "*"),
    ast.Div: (TrueDivOp, "/"),
    ast.FloorDiv: (FloorDivOp, "//"),
    ast.Mod: (ModOp, "%"),
}
UNSUPPORTED_BINARY = {
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_COMPARE: dict[type, tuple[str, str]] = {
    ast.Eq: ("eq", "=="),
    ast.NotEq: ("ne", "!="),
    ast.Lt: ("lt", "<"),
    ast.LtE: ("le", "<="),
    ast.Gt: ("gt", ">"),
    ast.GtE: ("ge", ">="),
    ast.In: ("in", "in"),
    ast.NotIn: ("not_in", "not in"),
    ast.Is: ("is", "is"),
    ast.IsNot: ("is_not", "is not"),
}
FORMATTABLE = (Int, Float, Str, Bool, NoneT)
_FORMAT_SAMPLES: dict[Type, object] = {Int: 0, Float: 0.0, Str: "", Bool: False, NoneT: None}


def suggestion(name: str, candidates: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


class ExpressionMixin(LowererBase):
    """Expressions other than calls."""

    def expr(self, node: ast.expr) -> Value:
        if node in self.program.rejected:
            return self.poison()
        method: Callable[[ast.expr], Value] | None = getattr(
            self, f"expr_{type(node).__name__}", None
        )
        if method is None:
            return self.error(
                node, f"this kind of expression ({type(node).__name__}) is not supported"
            )
        return method(node)

    # ------------------------------------------------------------------ truth values

    def condition(self, node: ast.expr) -> Value:
        if node in self.program.rejected:
            return self.poison()
        if isinstance(node, ast.BoolOp):
            return self.short_circuit(node, self.condition)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            operand = self.condition(node.operand)
            return self.emit(NotOp, node, [operand], [Bool]).result
        return self.truth(self.expr(node), node)

    def truth(self, value: Value, node: ast.AST) -> Value:
        """``bool(value)`` (Python truthiness), or ``value`` itself when it is a Bool."""
        if value.type == Bool or self.quiet(value):
            return value
        return self.emit(CastOp, node, [value], [Bool]).result

    def short_circuit(self, node: ast.BoolOp, lower: Callable[[ast.expr], Value]) -> Value:
        """``a and b ...`` / ``a or b ...``: one lazy region per operand."""
        word = "and" if isinstance(node.op, ast.And) else "or"
        regions, values = [], []
        for i, operand in enumerate(node.values):
            region = Region()
            with self.in_region(region):
                if i:  # later operands run only when the earlier ones were true (and) / false (or)
                    earlier = ast.copy_location(ast.BoolOp(node.op, node.values[:i]), operand)
                    self.narrow(earlier, word == "and")
                values.append(lower(operand))
            regions.append(region)
        joined = self.meet(
            values, node, f"the operands of '{word}' have different types ({{}} and {{}}); "
            "give them one type (in a condition any types may be mixed)"
        )  # fmt: skip
        if joined is None:
            return self.poison()
        for region, value, operand in zip(regions, values, node.values, strict=True):
            self.yield_in(region, [value], [joined], operand)
        cls = AndOp if word == "and" else OrOp
        return self.emit(cls, node, [], [joined], regions=regions).result

    def yield_in(
        self, region: Region, values: list[Value], types: list[Type], node: ast.AST
    ) -> None:
        """End ``region`` with a yield of ``values`` converted to ``types``."""
        with self.in_region(region):
            out = [self.coerce(v, t, node, "value") for v, t in zip(values, types, strict=True)]
            self.emit(YieldOp, node, out)

    # ------------------------------------------------------------------ atoms

    def expr_Constant(self, node: ast.Constant) -> Value:  # noqa: N802 - dispatch by node class
        value = node.value
        if value is None or isinstance(value, bool | int | float | str):
            return self.const(value, node)
        kind = "..." if value is Ellipsis else type(value).__name__
        return self.error(
            node, f"{kind} literals are not supported; use int, float, str, bool or None"
        )

    def expr_Name(self, node: ast.Name) -> Value:  # noqa: N802
        bound = self.frame.env.get(node.id)
        if isinstance(bound, Value):
            return bound
        if isinstance(bound, Undefined):
            self.frame.env[node.id] = self.poison()
            return self.error(node, f"variable '{node.id}' may be undefined here: {bound.reason}")
        if node.id in self.program.unavailable:
            return self.poison()  # bound by a construct that was already rejected
        entry = self.library.get(node.id)
        if entry is not None and entry.attribute:
            return self.error(
                node, f"'{node.id}' is an attribute of a patch; write patch.{node.id}"
            )
        if entry is not None and not entry.function:
            return self.error(node, f"'{node.id}' is a method; call it: patch.{node.id}(...)")
        if entry is not None or node.id in self.program.helpers:
            return self.error(node, f"'{node.id}' is a function; call it: {node.id}(...)")
        if (self.frame.name, node.id) in self.unknown_names:
            return self.poison()  # one message per unknown name and function
        self.unknown_names.add((self.frame.name, node.id))
        names = [n for n in self.frame.env if n.isidentifier()]
        return self.error(node, f"name '{node.id}' is not defined{suggestion(node.id, names)}")

    def expr_Tuple(self, node: ast.Tuple) -> Value:  # noqa: N802
        return self.error(
            node,
            "tuples are not supported; use separate variables or a list "
            "(tuple unpacking is only allowed in `for i, x in enumerate(xs)`)",
        )

    def expr_Lambda(self, node: ast.Lambda) -> Value:  # noqa: N802
        return self.error(node, "lambda is only supported as the key= of sorted(), min() or max()")

    def expr_GeneratorExp(self, node: ast.GeneratorExp) -> Value:  # noqa: N802
        return self.error(
            node,
            "generator expressions are only supported as the argument of any(), all(), sum(), "
            "min() or max(); use a list comprehension [...]",
        )

    # ------------------------------------------------------------------ operators

    def expr_BinOp(self, node: ast.BinOp) -> Value:  # noqa: N802
        if type(node.op) in UNSUPPORTED_BINARY:
            self.expr(node.left)
            self.expr(node.right)
            symbol = UNSUPPORTED_BINARY[type(node.op)]
            return self.error(node, f"the {symbol} operator is not supported; use + - * / // %")
        left, right = self.expr(node.left), self.expr(node.right)
        cls, symbol = BINARY_OPS[type(node.op)]
        return self.binary(cls, symbol, left, right, node)

    def binary(self, cls: type[Op], symbol: str, left: Value, right: Value, node: ast.AST) -> Value:
        """An arithmetic op on two values, type-checked like Python."""
        if self.quiet(left, right):
            return self.poison()
        result = arithmetic_result(cls.name, left.type, right.type)
        lists = isinstance(left.type, ListType) and isinstance(right.type, ListType)
        if (
            result is None
            and lists
            and self.meet([left, right], node, "cannot concatenate {} and {}") is None
        ):
            return self.poison()  # reported by meet
        if result is None:
            return self.type_error(
                node,
                f"unsupported operand types for {symbol}: {describe(left.type)} and {describe(right.type)}",
                left.type,
                right.type,
            )
        return self.emit(cls, node, [left, right], [result]).result

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Value:  # noqa: N802
        if isinstance(node.op, ast.Not):
            return self.emit(NotOp, node, [self.condition(node.operand)], [Bool]).result
        if isinstance(node.op, ast.Invert):
            self.expr(node.operand)
            return self.error(node, "the ~ operator is not supported")
        literal = node.operand.value if isinstance(node.operand, ast.Constant) else None
        if isinstance(literal, int | float) and not isinstance(literal, bool):
            sign = -1 if isinstance(node.op, ast.USub) else 1
            return self.const(sign * literal, node)
        operand = self.expr(node.operand)
        if self.quiet(operand):
            return operand
        if not is_numeric(operand.type):
            return self.type_error(
                node, f"bad operand type for unary -/+: {describe(operand.type)}", operand.type
            )
        if isinstance(node.op, ast.UAdd):
            return (
                operand
                if operand.type != Bool
                else self.emit(CastOp, node, [operand], [Int]).result
            )
        result = Float if operand.type == Float else Int
        return self.emit(NegOp, node, [operand], [result]).result

    def expr_BoolOp(self, node: ast.BoolOp) -> Value:  # noqa: N802
        return self.short_circuit(node, self.expr)

    def expr_IfExp(self, node: ast.IfExp) -> Value:  # noqa: N802
        cond = self.condition(node.test)
        then_region, else_region = Region(), Region()
        with self.in_region(then_region):
            self.narrow(node.test, True)
            then_value = self.expr(node.body)
        with self.in_region(else_region):
            self.narrow(node.test, False)
            else_value = self.expr(node.orelse)
        joined = self.meet(
            [then_value, else_value], node, "the two results of the conditional expression have "
            "different types ({} and {}); give them one type"
        )  # fmt: skip
        if joined is None:
            return self.poison()
        self.yield_in(then_region, [then_value], [joined], node.body)
        self.yield_in(else_region, [else_value], [joined], node.orelse)
        return self.emit(IfOp, node, [cond], [joined], regions=[then_region, else_region]).result

    # ------------------------------------------------------------------ comparisons

    def expr_Compare(self, node: ast.Compare) -> Value:  # noqa: N802
        left = self.expr(node.left)
        return self.compare_chain(left, node.ops, node.comparators, node)

    def compare_chain(
        self, left: Value, ops: Sequence[ast.cmpop], rights: Sequence[ast.expr], node: ast.AST
    ) -> Value:
        """``a < b < c``: ``b`` is evaluated once; later comparisons run only if earlier hold."""
        right = self.expr(rights[0])
        if len(ops) == 1:
            return self.compare(ops[0], left, right, rights[0], node)
        first, rest = Region(), Region()
        with self.in_region(first):
            held = self.compare(ops[0], left, right, rights[0], node)
        with self.in_region(rest):
            later = self.compare_chain(right, ops[1:], rights[1:], rights[1])
        self.yield_in(first, [held], [Bool], node)
        self.yield_in(rest, [later], [Bool], node)
        return self.emit(AndOp, node, [], [Bool], regions=[first, rest]).result

    def compare(
        self, op: ast.cmpop, left: Value, right: Value, right_node: ast.AST, node: ast.AST
    ) -> Value:
        """One comparison, type-checked."""
        pred, symbol = _COMPARE[type(op)]
        if self.quiet(left, right):
            return self.poison()
        problem = _comparison_problem(pred, left.type, right.type)
        if problem is not None and pred in ("in", "not_in") and isinstance(right.type, ListType):
            self.coerce(right, ListType(left.type), right_node, "container")
        if problem is not None:
            message = (
                f"cannot compare {describe(left.type)} {symbol} {describe(right.type)}: {problem}"
            )
            return self.type_error(node, message, left.type, right.type)
        return self.emit(CmpOp, node, [left, right], [Bool], {"pred": pred}).result

    # ------------------------------------------------------------------ indexing

    def expr_Subscript(self, node: ast.Subscript) -> Value:  # noqa: N802
        seq = self.expr(node.value)
        if isinstance(node.slice, ast.Slice):
            return self.slice(seq, node.slice, node)
        index = self.expr(node.slice)
        if self.quiet(seq, index):
            return self.poison()
        element = _element(seq.type)
        if element is None:
            return self.type_error(
                node, f"cannot index a value of type {describe(seq.type)}", seq.type
            )
        if index.type != Int:
            return self.type_error(
                node.slice, f"list index must be an int, not {describe(index.type)}", index.type
            )
        return self.emit(IndexOp, node, [seq, index], [element]).result

    def slice(self, seq: Value, bounds: ast.Slice, node: ast.AST) -> Value:
        """``xs[a:b]``; a missing bound is ``None``."""
        if bounds.step is not None:
            return self.error(bounds.step, "slices with a step are not supported; use xs[a:b]")
        values = []
        for bound in (bounds.lower, bounds.upper):
            value = self.const(None, node) if bound is None else self.expr(bound)
            if value.type not in (Int, NoneT) and not self.quiet(value):
                self.type_error(
                    bound or node,
                    f"slice bound must be an int, not {describe(value.type)}",
                    value.type,
                )
                value = self.poison()
            values.append(value)
        if self.quiet(seq, *values):
            return self.poison()
        if _element(seq.type) is None:
            return self.type_error(
                node, f"cannot slice a value of type {describe(seq.type)}", seq.type
            )
        return self.emit(SliceOp, node, [seq, *values], [seq.type]).result

    def expr_Attribute(self, node: ast.Attribute) -> Value:  # noqa: N802
        entry = self.library.get(node.attr)
        receiver = self.expr(node.value)
        if entry is not None and entry.attribute:
            patch = self.coerce(
                receiver, entry.params[0][1], node.value, f"the receiver of .{node.attr}"
            )
            if self.quiet(patch):
                return self.poison()
            return self.emit(LibOp, node, [patch], [entry.result], {"fn": entry.name}).result
        if entry is not None and entry.method:
            return self.error(node, f"'{node.attr}' is a method; call it: .{node.attr}(...)")
        if self.quiet(receiver):
            return self.poison()
        attributes = [f.name for f in self.library.functions if f.attribute]
        where = describe(receiver.type)
        hint = suggestion(node.attr, attributes) if receiver.type in (Patch, Image) else ""
        return self.error(
            node,
            f"{where} has no attribute '{node.attr}'{hint} (attribute access is only allowed "
            "for library attributes such as patch.left)",
        )

    # ------------------------------------------------------------------ lists

    def expr_List(self, node: ast.List) -> Value:  # noqa: N802
        if not node.elts:
            key = self.hint_key("list", node)
            return self.emit(MakeListOp, node, [], [self.empty_list_type(key)]).result
        values = [self.expr(e) for e in node.elts]
        joined = self.meet(
            values, node, "list elements have different types ({} and {}); a list holds one type"
        )
        if joined is None:
            return self.poison()
        return self.make_list(values, joined, node)

    # ------------------------------------------------------------------ f-strings

    def expr_JoinedStr(self, node: ast.JoinedStr) -> Value:  # noqa: N802
        parts: list[str] = []
        operands: list[Value] = []
        failed = False
        for piece in node.values:
            if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                parts.append(piece.value.replace("{", "{{").replace("}", "}}"))
                continue
            assert isinstance(piece, ast.FormattedValue)
            hole = self.format_hole(piece)
            if hole is None:
                failed = True
                continue
            parts.append(hole[0])
            operands.append(hole[1])
        template = "".join(parts)
        if failed or self.quiet(*operands):
            return self.poison()
        try:
            count_holes(template)
        except ValueError as exc:
            return self.error(node, f"unsupported f-string: {exc}")
        return self.emit(FormatOp, node, operands, [Str], {"template": template}).result

    def str_format(self, template: str, node: ast.Call) -> Value:
        """``"... {} ... {0} ... {name:.2f} ...".format(...)``: the f-string it stands for
        (``fmpc.format``); every argument is evaluated, as in Python, used or not."""
        positional = [self.expr(a) for a in node.args]
        named: dict[str, Value] = {}
        for keyword in node.keywords:
            value = self.expr(keyword.value)
            if keyword.arg is None:
                return self.error(keyword, "**kwargs is not supported; pass arguments by name")
            named[keyword.arg] = value
        try:
            pieces = list(string.Formatter().parse(template))
        except ValueError as exc:
            return self.error(node.func, f"malformed format string: {exc}")
        parts: list[str] = []
        operands: list[Value] = []
        numbering = _Numbering()
        for literal, field, spec, conversion in pieces:
            parts.append(literal.replace("{", "{{").replace("}", "}}"))
            if field is None:
                continue
            found = self.format_field(field, spec or "", positional, named, numbering, node)
            hole = (
                None
                if found is None
                else self.format_value(found, conversion or "", spec or "", node, "str.format()")
            )
            if hole is None:
                return self.stand_in(Str)
            parts.append(hole[0])
            operands.append(hole[1])
        if self.quiet(*operands):
            return self.stand_in(Str)
        return self.emit(FormatOp, node, operands, [Str], {"template": "".join(parts)}).result

    def format_field(
        self,
        field: str,
        spec: str,
        positional: list[Value],
        named: dict[str, Value],
        numbering: _Numbering,
        node: ast.Call,
    ) -> Value | None:
        """The argument a ``{field}`` of a format string names (``{}``, ``{0}``, ``{name}``)."""
        if "{" in spec:
            self.error(node.func, "nested {...} in a format spec are not supported")
            return None
        index: int | None = None
        if field == "" or field.isdigit():
            index = numbering.next(field)
            if index is None:
                self.error(node.func, "cannot mix automatic {} and numbered {0} fields")
                return None
            if index >= len(positional):
                self.error(
                    node, f"the format string needs argument {index}, but {len(positional)} given"
                )
                return None
            return positional[index]
        if not field.isidentifier():
            self.error(
                node.func, f"the field {{{field}}} is not supported; use {{}}, {{0}} or {{name}}"
            )
            return None
        if field not in named:
            self.error(node, f"the format string names '{field}', which is not passed: {field}=...")
            return None
        return named[field]

    def format_hole(self, piece: ast.FormattedValue) -> tuple[str, Value] | None:
        """The template text and the value of one ``{...}`` of an f-string."""
        value = self.expr(piece.value)
        spec = _literal_spec(piece.format_spec)
        if spec is None:
            self.error(piece, "format specs must be plain text, e.g. {x:.2f}")
            return None
        conversion = chr(piece.conversion) if piece.conversion > 0 else ""
        return self.format_value(value, conversion, spec, piece, "f-strings")

    def format_value(
        self, value: Value, conversion: str, spec: str, node: ast.AST, what: str
    ) -> tuple[str, Value] | None:
        """The template hole (``{}`` / ``{:spec}``) for ``value`` formatted with ``!conversion``
        and ``spec``, and the value to fill it (``what`` names the construct in messages)."""
        if conversion in ("r", "a"):
            self.error(node, f"!r and !a conversions are not supported in {what}; use {{x}}")
            return None
        if self.quiet(value):
            return "{}", value
        if conversion == "s":
            value = self.emit(CastOp, node, [value], [Str]).result
        if unwrap_optional(value.type) not in FORMATTABLE:
            message = f"{what} can format numbers, strings and booleans, not {describe(value.type)}"
            self.type_error(node, message, value.type)
            return None
        if spec and value.type not in FORMATTABLE:
            message = (
                f"format spec ':{spec}' needs a value that is not None; test `x is not None` first"
            )
            self.type_error(node, message, value.type)
            return None
        try:
            format(_FORMAT_SAMPLES[unwrap_optional(value.type)], spec)
        except (ValueError, TypeError):
            self.error(node, f"format spec ':{spec}' does not apply to a {describe(value.type)}")
            return None
        return ("{:" + spec + "}" if spec else "{}"), value


class _Numbering:
    """Python's rule for format fields: all automatic (``{}``) or all numbered (``{0}``)."""

    def __init__(self) -> None:
        self.automatic = 0
        self.mode: str | None = None

    def next(self, field: str) -> int | None:
        """The argument index of ``field``; ``None`` when the two styles are mixed."""
        mode = "numbered" if field else "automatic"
        if self.mode not in (None, mode):
            return None
        self.mode = mode
        if field:
            return int(field)
        self.automatic += 1
        return self.automatic - 1


def _literal_spec(spec: ast.expr | None) -> str | None:
    if spec is None:
        return ""
    if isinstance(spec, ast.JoinedStr) and all(
        isinstance(v, ast.Constant) and isinstance(v.value, str) for v in spec.values
    ):
        text = "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
        return None if "{" in text or "}" in text else text
    return None


def _element(t: Type) -> Type | None:
    if t == Str:
        return Str
    if isinstance(t, ListType) and not isinstance(t.element, PendingType):
        return t.element
    return None


def _comparison_problem(pred: str, left: Type, right: Type) -> str | None:
    """Why ``left pred right`` is not allowed, or ``None`` when it is."""
    both_numeric = is_numeric(left) and is_numeric(right)
    if pred in ("is", "is_not"):
        return None if NoneT in (left, right) else "`is` is only supported with None; use =="
    if pred in ("eq", "ne"):
        if NoneT not in (left, right):
            left, right = unwrap_optional(left), unwrap_optional(right)
            both_numeric = is_numeric(left) and is_numeric(right)
        if both_numeric or left == right:
            return None
        if NoneT in (left, right):
            return "a value compared with None; use `is None`"
        return "values of different types are never equal"
    if pred in ("lt", "le", "gt", "ge"):
        return (
            None
            if both_numeric or left == right == Str
            else "only numbers or strings can be ordered"
        )
    if right == Str:
        return None if left == Str else "`in` a string needs a string on the left"
    if isinstance(right, ListType):
        element = right.element
        if element == left or (is_numeric(left) and is_numeric(element)):
            return None
        return "the item type does not match the list"
    return "`in` needs a list or a string on the right"
