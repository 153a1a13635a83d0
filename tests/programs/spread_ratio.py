# ruff: noqa
# Tests: abs, round with ndigits, Float arithmetic on box centres, a Float answer.
# Question: how much wider than tall is the spread between the first and the last object?
def execute_command(image) -> float:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    if len(objects) < 2:
        return -1.0
    a = objects[0]
    b = objects[-1]
    dx = abs(a.horizontal_center - b.horizontal_center)
    dy = abs(a.vertical_center - b.vertical_center)
    return round(dx / (dy + 1), 2)
