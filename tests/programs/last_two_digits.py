# ruff: noqa
# Tests: plain function style (find on the image, simple_query(patch, ...)), negative indexing.
# Question: read the last two digits from right to left.
def execute_command(image) -> str:
    digits = find(image, "digit")
    if len(digits) < 2:
        return "too few"
    last = simple_query(digits[-1], "What digit is this?")
    before = simple_query(digits[-2], "What digit is this?")
    return last + before
