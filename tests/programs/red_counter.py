# ruff: noqa
# Tests: augmented assignment (+=) of two loop-carried counters in if/else branches.
# Question: how many digits are red and how many are not?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    red = 0
    other = 0
    for d in image_patch.find("digit"):
        if d.verify_property("digit", "red"):
            red += 1
        else:
            other += 1
    return f"{red} red, {other} other"
