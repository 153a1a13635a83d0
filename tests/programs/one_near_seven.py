# ruff: noqa
# Tests: plain function distance, `or` of two `not`s, a conditional expression, :.1f.
# Question: are the first 1 and the first 7 close together?
def execute_command(image) -> str:
    ones = find(image, "1")
    sevens = find(image, "7")
    if not ones or not sevens:
        return "missing"
    d = distance(ones[0], sevens[0])
    verdict = "close" if d < 5 else "far"
    return f"{verdict} ({d:.1f})"
