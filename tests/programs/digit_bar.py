# ruff: noqa
# Tests: string repetition (Str * Int) and concatenation.
# Question: draw a bar of the number of digits (out of 5).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    n = len(image_patch.find("digit"))
    return "#" * n + "." * (5 - n)
