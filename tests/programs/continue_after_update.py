# ruff: noqa
# Tests: carried values updated before a continue survive it; an f-string with a nested call
# using the other quote; append of an f-string.
# Question: number the objects and list the large ones with their numbers.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    seen = 0
    big = []
    for obj in image_patch.find("object"):
        seen += 1
        if not obj.verify_property("object", "large"):
            continue
        big.append(f"{seen}:{obj.simple_query('What is this?')}")
    return f"{seen} " + " ".join(big)
