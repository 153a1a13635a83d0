# ruff: noqa
# Tests: sum() over a generator expression, int() of a string answer.
# Question: what do the digits add up to?
def execute_command(image) -> int:
    digits = ImagePatch(image).find("digit")
    return sum(int(d.simple_query("What digit is this?")) for d in digits)
