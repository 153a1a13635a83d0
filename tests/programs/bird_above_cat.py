# ruff: noqa
# Tests: a helper returning a Bool comparison of vertical centres, `and` of two lists in an if
# condition, a conditional expression calling the helper.
# Question: is the bird above the cat?
def is_above(a: ImagePatch, b: ImagePatch) -> bool:
    return a.vertical_center > b.vertical_center


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    birds = image_patch.find("bird")
    cats = image_patch.find("cat")
    if birds and cats:
        return "bird above cat" if is_above(birds[0], cats[0]) else "cat above bird"
    return "n/a"
