# ruff: noqa
# Tests: round() without ndigits (an Int, ties to even), sum of Floats, int(float(str)).
# Question: what is the rounded mean depth (plus two)?
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    depths = [o.compute_depth() for o in image_patch.find("object")]
    if not depths:
        return 0
    mean = sum(depths) / len(depths)
    return round(mean) + int(float("0.5") * 4)
