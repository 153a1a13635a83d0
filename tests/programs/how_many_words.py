# ruff: noqa
# Tests: a chain of conditional expressions (right-nested), comparisons == and <=.
# Question: roughly how many objects are there?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    n = len(image_patch.find("object"))
    return "none" if n == 0 else "one" if n == 1 else "few" if n <= 3 else "many"
