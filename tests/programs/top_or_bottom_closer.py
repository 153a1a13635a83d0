# ruff: noqa
# Tests: compute_depth of crops showing several objects (their median) or none (background).
# Question: is the top or the bottom half of the image closer?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    bottom = image_patch.crop(0, 0, image_patch.width, image_patch.height // 2)
    top = image_patch.crop(0, image_patch.height // 2, image_patch.width, image_patch.height)
    if bottom.compute_depth() < top.compute_depth():
        return "bottom is closer"
    return "top is closer"
