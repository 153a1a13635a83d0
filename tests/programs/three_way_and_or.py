# ruff: noqa
# Tests: three-operand `and` and `or` chains of calls (each stops at the deciding operand).
# Question: are all three shapes there, and is any animal there?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shapes = (
        image_patch.exists("circle")
        and image_patch.exists("square")
        and image_patch.exists("triangle")
    )
    animals = image_patch.exists("cat") or image_patch.exists("dog") or image_patch.exists("bird")
    return bool_to_yesno(shapes) + bool_to_yesno(animals)
