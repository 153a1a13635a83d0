# ruff: noqa
# Tests: min() and max() of a list of Ints (no key), f-string.
# Question: what range do the digits span?
def execute_command(image) -> str:
    digits = find(image, "digit")
    values = [int(simple_query(d, "What digit is this?")) for d in digits]
    if not values:
        return "none"
    return f"{min(values)}..{max(values)}"
