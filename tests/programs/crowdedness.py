# ruff: noqa
# Tests: coerce_to_numeric of a query answer, Float compared with Int, if/elif/fallthrough.
# Question: is the scene crowded, sparse or empty?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    count = coerce_to_numeric(image_patch.simple_query("How many objects are there?"))
    if count >= 4:
        return "crowded"
    elif count >= 1:
        return "sparse"
    return "empty"
