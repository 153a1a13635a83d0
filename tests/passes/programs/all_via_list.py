# ruff: noqa
# all() over a list comprehension (early-exit fuses them: stops at the first small shape).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    return bool_to_yesno(all([s.verify_property("shape", "large") for s in shapes]))
