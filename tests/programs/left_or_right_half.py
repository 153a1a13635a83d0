# ruff: noqa
# Tests: crop with box attributes and // as arguments, find on crops, if/elif/fallthrough return.
# Question: which half of the image has more objects?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    left_half = image_patch.crop(0, 0, image_patch.width // 2, image_patch.height)
    right_half = image_patch.crop(image_patch.width // 2, 0, image_patch.width, image_patch.height)
    n_left = len(left_half.find("object"))
    n_right = len(right_half.find("object"))
    if n_left > n_right:
        return "left"
    elif n_left < n_right:
        return "right"
    return "equal"
