# ruff: noqa
# Tests: slices with an open start / open stop / negative start, a string slice, `if list:`
# truthiness, f-string with several holes.
# Question: summarise how the digits split into groups.
def execute_command(image) -> str:
    digits = find(image, "digit")
    head = digits[:2]
    tail = digits[3:]
    last_two = digits[-2:]
    prefix = "---"
    if digits:
        prefix = digits[0].simple_query("What color is this?")[:3]
    return f"{len(head)} {len(tail)} {len(last_two)} {prefix}"
