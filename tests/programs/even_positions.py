# ruff: noqa
# Tests: enumerate inside a comprehension with a filter on the index using %.
# Question: read the digits at even positions.
def execute_command(image) -> str:
    digits = find(image, "digit")
    even_positions = [d for i, d in enumerate(digits) if i % 2 == 0]
    names = [simple_query(d, "What digit is this?") for d in even_positions]
    return "".join(names)
