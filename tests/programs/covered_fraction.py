# ruff: noqa
# Tests: an Int accumulator (+=) in a loop, width * height, true division of Ints to a Float.
# Question: what fraction of the image do the objects' boxes cover?
def execute_command(image) -> float:
    image_patch = ImagePatch(image)
    total = 0
    for o in image_patch.find("object"):
        total += o.width * o.height
    return total / (image_patch.width * image_patch.height)
