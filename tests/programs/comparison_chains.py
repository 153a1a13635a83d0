# ruff: noqa
# Tests: comparison chains (a <= x <= b, a < x < b) on box attributes, Float vs Int comparison.
# Question: how many objects are in the middle band, and how many straddle the line y = 30?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    middle = [o for o in objects if 30 <= o.horizontal_center <= 70]
    straddling = [o for o in objects if o.lower < 30 < o.upper]
    return f"{len(middle)}/{len(straddling)}"
