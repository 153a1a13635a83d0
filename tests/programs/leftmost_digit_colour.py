# ruff: noqa
# Tests: sorted with a key lambda on a box attribute, indexing [0], early return on an empty list,
# rebinding a variable, simple_query.
# Question: what colour is the leftmost digit?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    if len(digits) == 0:
        return "none"
    digits = sorted(digits, key=lambda d: d.horizontal_center)
    return digits[0].simple_query("What color is this?")
