"""Which labels fit a program's answers: feedback with a label that cannot be compared with
the program's answers is refused (``LabelError``) rather than learned from as a mistake.

| the program answers | a label may be |
|---|---|
| ``Bool`` | ``true``/``false``, ``"yes"``/``"no"`` (any case) |
| ``Str`` | a string, or a bool (compared as ``"yes"``/``"no"``) |
| ``Int`` | an integer |
| ``Float`` | a finite number |
"""

from __future__ import annotations

import math
from typing import Any

from fmpc.ir.types import Bool, Float, Int, Str, Type


class LabelError(ValueError):
    """A label that does not fit the program's answers; the message says what was expected."""


def check_label(label: Any, result_type: Type | None) -> None:
    """Raise ``LabelError`` unless ``label`` fits answers of ``result_type`` (see the module
    docstring; any scalar when the type is unknown)."""
    if label is None:
        raise LabelError("the label is missing")
    if not isinstance(label, bool | int | float | str):
        raise LabelError(f"a label must be a string, a bool or a number, got {_kind(label)}")
    if isinstance(label, float) and not math.isfinite(label):
        raise LabelError(f"a label must be a finite number, got {label!r}")
    expected = _expected(label, result_type)
    if expected is not None:
        raise LabelError(f"the program answers {result_type}: expected {expected}, got {label!r}")


def _expected(label: Any, result_type: Type | None) -> str | None:
    is_bool = isinstance(label, bool)
    if result_type == Bool:
        yes_no = isinstance(label, str) and label.strip().lower() in ("yes", "no")
        return None if is_bool or yes_no else "true/false or 'yes'/'no'"
    if result_type == Str:
        return None if isinstance(label, str) or is_bool else "a string"
    if result_type == Int:
        whole = isinstance(label, int) or (isinstance(label, float) and label.is_integer())
        return None if whole and not is_bool else "an integer"
    if result_type == Float:
        return None if isinstance(label, int | float) and not is_bool else "a number"
    if result_type is None:
        return None
    return f"nothing: a program answering {result_type} takes no feedback"


def _kind(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
