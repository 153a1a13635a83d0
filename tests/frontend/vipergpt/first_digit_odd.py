# Question: Is the first digit odd?
# Idioms: image_patch.llm_query(..., long_answer=False) (method form), "...".format(...).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digit_patches = image_patch.find("digit")
    if len(digit_patches) == 0:
        return "no digit"
    digit = digit_patches[0].simple_query("What digit is this?")
    return image_patch.llm_query("Is {} odd?".format(digit), long_answer=False)
