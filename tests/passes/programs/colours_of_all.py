# ruff: noqa
# One question per object (batch: the backend sees one batch per image).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    colours = [o.simple_query("What color is this?") for o in image_patch.find("object")]
    return ", ".join(sorted(colours))
