# ruff: noqa
# Tests: int() truncating a negative Float, float() of an Int, round to 1 digit, abs of an Int,
# max(a, b) of Ints, sum of an empty list.
# Question: some numbers derived from the mean depth.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    depths = [o.compute_depth() for o in image_patch.find("object")]
    mean = sum(depths) / max(len(depths), 1)
    shifted = 2.5 - mean
    return f"{int(shifted)} {float(len(depths))} {round(shifted, 1)} {abs(int(shifted))}"
