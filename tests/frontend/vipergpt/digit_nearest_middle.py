# Question: Which digit is closest to the middle of the image (left to right)?
# Idioms: distance(a, b) of two numbers (abs(a - b)) as a sort key.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digit_patches = image_patch.find("digit")
    if not digit_patches:
        return "none"
    middle = image_patch.width / 2
    digit_patches.sort(key=lambda d: distance(d.horizontal_center, middle))
    return digit_patches[0].simple_query("What digit is this?")
