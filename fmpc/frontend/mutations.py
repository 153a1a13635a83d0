"""The list methods that change a list in place, lowered as rebinding its variable.

fmpc's lists are values, so a statement ``xs.m(...)`` on a list variable rebinds ``xs``:

==========================================  ==============================================
``xs.append(v)``                            ``xs = xs + [v]``  (``fmpc.list.append``)
``xs.extend(ys)``                           ``xs = xs + ys``   (``fmpc.add``)
``xs.sort(key=lambda x: ..., reverse=...)`` ``xs = sorted(xs, key=..., reverse=...)`` (``fmpc.sort``)
==========================================  ==============================================

That is Python's meaning exactly when no other name sees the same list. When one does (``ys = xs``
before, the caller's variable passed to a helper, the item of a list being iterated), Python would
change it too and fmpc cannot: that is an error asking for a new list instead.
"""

from __future__ import annotations

import ast

from fmpc.frontend.builtins import BuiltinMixin
from fmpc.frontend.typesys import PendingType, describe
from fmpc.ir.core import Value
from fmpc.ir.ops import AddOp, AppendOp, SortOp
from fmpc.ir.types import ListType

LIST_METHODS = ("append", "extend", "sort")
"""The in-place list methods a program may call, as statements."""

_REWRITES = {
    "append": "{0} = {0} + [v]",
    "extend": "{0} = {0} + ys",
    "sort": "{0} = sorted({0}, key=...)",
}


def mutation_target(node: ast.AST) -> str | None:
    """The variable ``xs`` of a call ``xs.append(...)`` / ``.extend`` / ``.sort``, if ``node``
    is one."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in LIST_METHODS
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value.id
    return None


class MutationMixin(BuiltinMixin):
    """``xs.append(v)``, ``xs.extend(ys)``, ``xs.sort(...)`` as statements."""

    def mutate(self, call: ast.Call) -> None:
        """Lower the statement ``xs.<method>(...)`` (``mutation_target(call)`` is ``xs``)."""
        assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
        name, method = call.func.value.id, call.func.attr
        lst = self.expr(call.func.value)
        result = getattr(self, f"list_{method}")(name, lst, call)
        if result is not None and not self.quiet(result):
            self.bind(name, result)

    def list_append(self, name: str, lst: Value, call: ast.Call) -> Value | None:
        """``xs.append(v)``: the list with ``v`` appended."""
        item = self.only_argument(lst, call, "append() takes exactly one argument")
        if item is None:
            return None
        assert isinstance(lst.type, ListType)
        if isinstance(lst.type.element, PendingType):
            self.learn(lst.type.element.key, item.type)
            self.forget([name])
            return None
        what = f"the value appended to {describe(lst.type)}"
        value = self.coerce(item, lst.type.element, call.args[0], what)
        if self.quiet(value) or self.shared(name, lst, call, "append"):
            return None
        return self.emit(AppendOp, call, [lst, value], [lst.type]).result

    def list_extend(self, name: str, lst: Value, call: ast.Call) -> Value | None:
        """``xs.extend(ys)``: ``xs + ys``."""
        other = self.only_argument(lst, call, "extend() takes exactly one list")
        if other is None:
            return None
        joined = self.binary(AddOp, "+", lst, other, call)
        return None if self.shared(name, lst, call, "extend") else joined

    def list_sort(self, name: str, lst: Value, call: ast.Call) -> Value | None:
        """``xs.sort(key=..., reverse=...)``: ``sorted(xs, key=..., reverse=...)``."""
        if not self.arguments(call, "sort", (0,), ("key", "reverse")):
            return None
        reverse = self.reverse_flag(call)
        if reverse is None or not self.is_list(lst, call, "sort"):
            return None
        result = self.ordered(SortOp, "sort", lst, call, {"reverse": reverse})
        return None if self.shared(name, lst, call, "sort") else result

    def only_argument(self, lst: Value, call: ast.Call, arity: str) -> Value | None:
        """The one positional argument of ``xs.append(v)`` / ``xs.extend(ys)`` when the call is
        well formed on a list (else ``None``, the mistake reported; ``arity`` says the rule)."""
        assert isinstance(call.func, ast.Attribute)
        if len(call.args) != 1 or call.keywords:
            self.lower_arguments(call)
            self.error(call, arity)
            return None
        value = self.expr(call.args[0])
        if self.quiet(value) or not self.is_list(lst, call, call.func.attr):
            return None
        return value

    def is_list(self, lst: Value, call: ast.Call, method: str) -> bool:
        """Whether ``lst`` is a list (else the mistake is reported, unless already reported)."""
        if self.quiet(lst):
            return False
        if not isinstance(lst.type, ListType):
            self.type_error(call, f"{describe(lst.type)} has no method '{method}'", lst.type)
            return False
        return True

    def shared(self, name: str, lst: Value, call: ast.Call, method: str) -> bool:
        """Whether another name sees the list ``lst`` so that ``name.<method>()`` cannot be
        lowered as rebinding ``name`` (the mistake is then reported)."""
        holder = self.shared_with(name, lst)
        if holder is None:
            return False
        self.error(
            call,
            f"{name}.{method}() would also change {holder} in Python (the same list), which "
            "fmpc's lists, being values, cannot do; build a new list instead, e.g. "
            f"`{_REWRITES[method].format(name)}`",
        )
        return True

    def shared_with(self, name: str, value: Value) -> str | None:
        """How to name another holder of the list ``value`` (bound to ``name``), if any: another
        variable here, a variable of a calling function, or the list a loop iterates."""
        for other, bound in self.frame.env.items():
            if bound is value and other != name and other.isidentifier():
                return f"'{other}'"
        for frame in reversed(self.callers):
            for other, bound in frame.env.items():
                if bound is value and other.isidentifier():
                    return f"the variable '{other}' of the calling function '{frame.name}'"
        if value in self.loop_items:
            return "the list being iterated (this is one of its items)"
        return None
