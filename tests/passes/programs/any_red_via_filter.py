# ruff: noqa
# Builds the list of red digits only to test that it is not empty (early-exit: any()).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    reds = [d for d in digits if d.verify_property("digit", "red")]
    if len(reds) > 0:
        return "yes"
    return "no"
