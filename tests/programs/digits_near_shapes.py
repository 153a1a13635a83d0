# ruff: noqa
# Tests: any() over a generator nested inside a comprehension's filter, distance.
# Question: how many digits are within 25 pixels of a shape?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    shapes = image_patch.find("shape")
    near = [d for d in digits if any(distance(d, s) < 25 for s in shapes)]
    return str(len(near))
