# ruff: noqa
# Two checks joined by `and`, the second one asked first in the source (sinking).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    red = image_patch.verify_property("object", "red")
    circle = image_patch.exists("circle")
    return bool_to_yesno(circle and red)
