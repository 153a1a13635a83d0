# ruff: noqa
# Tests: max() and min() of generator expressions over box attributes.
# Question: the widest box's width minus the flattest box's height.
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    if not objects:
        return 0
    return max(o.width for o in objects) - min(o.height for o in objects)
