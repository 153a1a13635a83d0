# ruff: noqa
# Tests: slice with a negative stop, list comprehension over the slice, str.join.
# Question: which digits are between the first and the last one?
def execute_command(image) -> str:
    digits = ImagePatch(image).find("digit")
    middle = digits[1:-1]
    names = [d.simple_query("What digit is this?") for d in middle]
    return ",".join(names)
