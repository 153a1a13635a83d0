"""The function library: the declarative table of the generic functions and helpers a program
may call, with their typed signatures. The frontend reads it to type calls; the runtime reads it
to check backend configs. It depends on nothing but ``fmpc.ir``'s types.

::

    from fmpc.library import DEFAULT_LIBRARY, LibraryFunction
    from fmpc.ir.types import Int, Patch

    lib = DEFAULT_LIBRARY.extend(LibraryFunction("count_cars", (("patch", Patch),), Int))
"""

from fmpc.library.table import DEFAULT_LIBRARY, CallOption, Constant, Library, LibraryFunction

__all__ = ["DEFAULT_LIBRARY", "CallOption", "Constant", "Library", "LibraryFunction"]
