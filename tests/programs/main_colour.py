# ruff: noqa
# Tests: plain function best_text_match on the whole image, string concatenation.
# Question: which of these colours appears in the image?
def execute_command(image) -> str:
    colour = best_text_match(image, ["purple", "orange", "green", "red"])
    return "main colour: " + colour
