# Question: Is the second digit from the left red?
# Idioms: xs.sort(key=lambda x: x.horizontal_center), indexing the sorted list, bool_to_yesno.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digit_patches = image_patch.find("digit")
    digit_patches.sort(key=lambda x: x.horizontal_center)
    if len(digit_patches) < 2:
        return "no"
    digit_patch = digit_patches[1]
    return bool_to_yesno(digit_patch.verify_property("digit", "red"))
