# ruff: noqa
# Tests: a mapping comprehension, a filtering comprehension with `in` a list literal, a
# conditional expression on a list's truthiness.
# Question: which warm colours appear?
def execute_command(image) -> str:
    objects = find(image, "object")
    colours = [simple_query(o, "What color is this?") for o in objects]
    warm = [c for c in colours if c in ["red", "orange", "yellow"]]
    return ", ".join(warm) if warm else "no warm colours"
