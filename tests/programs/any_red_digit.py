# ruff: noqa
# Tests: any() over a generator expression (short-circuits: stops at the first red digit),
# bool_to_yesno.
# Question: is any digit red?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    found = any(d.verify_property("digit", "red") for d in digits)
    return bool_to_yesno(found)
