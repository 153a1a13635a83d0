# ruff: noqa
# Tests: plain function style exists on the image, if/elif/else chain with a return in every branch.
# Question: what is the most interesting thing in the image?
def execute_command(image) -> str:
    if exists(image, "cat"):
        return "cat"
    elif exists(image, "square"):
        return "square"
    elif exists(image, "digit"):
        return "digit"
    else:
        return "none"
