# ruff: noqa
# Tests: enumerate in a for loop, an early return from the loop, an f-string with an Int hole.
# Question: where is the first 7 (counting digits from the left)?
def execute_command(image) -> str:
    digits = ImagePatch(image).find("digit")
    for i, d in enumerate(digits):
        if d.simple_query("What digit is this?") == "7":
            return f"7 at position {i}"
    return "no 7"
