# Question: Which is the first red digit?
# Idioms: execute_command can reach its end without a return (no red digit: the answer is None).
def execute_command(image):
    image_patch = ImagePatch(image)
    digit_patches = image_patch.find("digit")
    for digit_patch in digit_patches:
        if digit_patch.verify_property("digit", "red"):
            return digit_patch.simple_query("What digit is this?")
