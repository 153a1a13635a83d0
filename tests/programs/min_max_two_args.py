# ruff: noqa
# Tests: max(a, b) and min(a, b) with two arguments, Int arithmetic.
# Question: combine the larger and the smaller of the digit and shape counts.
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    a = len(image_patch.find("digit"))
    b = len(image_patch.find("shape"))
    return max(a, b) * 10 + min(a, b)
