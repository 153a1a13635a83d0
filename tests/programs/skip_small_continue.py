# ruff: noqa
# Tests: continue, list append on an empty list literal, looping directly over a call, join.
# Question: name the objects that are not small.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    names = []
    for obj in image_patch.find("object"):
        if obj.verify_property("object", "small"):
            continue
        names.append(obj.simple_query("What is this?"))
    return " ".join(names)
