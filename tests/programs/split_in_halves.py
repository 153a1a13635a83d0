# ruff: noqa
# Tests: slices with computed bounds (xs[:half], xs[half:n]), // on Ints.
# Question: read the digits of the left half and of the right half.
def execute_command(image) -> str:
    digits = find(image, "digit")
    n = len(digits)
    half = n // 2
    first = digits[:half]
    second = digits[half:n]
    a = "".join([simple_query(d, "What digit is this?") for d in first])
    b = "".join([simple_query(d, "What digit is this?") for d in second])
    return a + "|" + b
