# ruff: noqa
# Tests: nested for loops with an early return from the inner one, overlaps_with with box
# attributes.
# Question: does any digit overlap a shape?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    shapes = image_patch.find("shape")
    for d in digits:
        for s in shapes:
            if d.overlaps_with(s.left, s.lower, s.right, s.upper):
                return "overlap"
    return "separate"
