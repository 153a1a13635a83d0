# ruff: noqa
# Tests: a comparison chain evaluates its middle operand (a call) once, and a chain whose first
# comparison is false skips the rest (the find of shapes never runs); str() of a Bool.
# Question: how many digits lie between 3 and 7?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    inside = [d for d in digits if 3 <= int(d.simple_query("What digit is this?")) <= 7]
    skipped = len(digits) > 100 < len(image_patch.find("shape"))
    return f"{len(inside)} {skipped}"
