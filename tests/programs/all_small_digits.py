# ruff: noqa
# Tests: all() over a generator in an if condition (short-circuits at the first non-small digit;
# all of an empty list is True), plain function verify_property.
# Question: are all digits small?
def execute_command(image) -> str:
    digits = find(image, "digit")
    if all(verify_property(d, "digit", "small") for d in digits):
        return "all small"
    return "not all small"
