# ruff: noqa
# Tests: query (not simple_query) on the whole image, guarded by exists.
# Question: what is the cat doing?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    if not image_patch.exists("cat"):
        return "there is no cat"
    return image_patch.query("What is the cat doing?")
