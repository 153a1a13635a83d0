# ruff: noqa
# Tests: for loop with break, a variable assigned inside the loop and read after it (carried).
# Question: which is the first red digit?
def execute_command(image) -> str:
    digits = find(image, "digit")
    first_red = "none"
    for d in digits:
        if verify_property(d, "digit", "red"):
            first_red = simple_query(d, "What digit is this?")
            break
    return first_red
