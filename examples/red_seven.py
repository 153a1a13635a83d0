def execute_command(image) -> str:
    """Is there a red 7 in the image?"""
    image_patch = ImagePatch(image)
    sevens = image_patch.find("7")
    for seven in sevens:
        if seven.verify_property("7", "red"):
            return "yes"
    return "no"
