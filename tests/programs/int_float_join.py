# ruff: noqa
# Tests: a conditional expression whose branches are Int and Float joins to Float (the Int branch
# converts: 4 becomes 4.0); nested conditional expressions.
# Question: a score: the object count when crowded, else the first object's depth.
def execute_command(image) -> float:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    score = len(objects) if len(objects) > 3 else objects[0].compute_depth() if objects else 0
    return score * 1
