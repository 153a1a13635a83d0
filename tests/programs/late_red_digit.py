# ruff: noqa
# Tests: any() over a generator with enumerate, an `and` inside the generator that skips the call
# for the first two positions.
# Question: is there a red digit from the third position on?
def execute_command(image) -> str:
    digits = find(image, "digit")
    late_red = any(i >= 2 and verify_property(d, "digit", "red") for i, d in enumerate(digits))
    return bool_to_yesno(late_red)
