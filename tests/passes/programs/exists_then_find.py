# ruff: noqa
# Checks with exists, then finds the same objects (cse: one detector call serves both).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    if image_patch.exists("7"):
        sevens = image_patch.find("7")
        return str(len(sevens))
    return "0"
