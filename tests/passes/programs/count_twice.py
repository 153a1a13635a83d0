# ruff: noqa
# Finds the same objects twice (cse) and describes each one (batch: one batched question).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    count = len(image_patch.find("object"))
    names = [o.simple_query("What is this?") for o in image_patch.find("object")]
    return f"{count}: {' '.join(names)}"
