# ruff: noqa
# Tests: a spatial comparison of horizontal centres passed to bool_to_yesno, `or` of two
# comparisons.
# Question: is the 3 to the left of the circle?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    threes = image_patch.find("3")
    circles = image_patch.find("circle")
    if len(threes) == 0 or len(circles) == 0:
        return "no"
    return bool_to_yesno(threes[0].horizontal_center < circles[0].horizontal_center)
