# ruff: noqa
# A flag set in a loop (early-exit: the loop stops once the flag is set).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    found = False
    for animal in image_patch.find("animal"):
        if animal.verify_property("animal", "sleeping"):
            found = True
    return bool_to_yesno(found)
