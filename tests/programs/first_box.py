# ruff: noqa
# Tests: every box attribute (left lower right upper width height horizontal_center
# vertical_center) in one f-string.
# Question: where exactly is the leftmost object?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    if not objects:
        return "-"
    o = objects[0]
    return f"{o.left} {o.lower} {o.right} {o.upper} {o.width} {o.height} {o.horizontal_center} {o.vertical_center}"
