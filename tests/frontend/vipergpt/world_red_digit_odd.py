# Question: Is the leftmost red digit odd?
# Idioms: (the embedded world) xs.sort, a filtering comprehension, llm_query(long_answer=False).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digit_patches = image_patch.find("digit")
    digit_patches.sort(key=lambda d: d.horizontal_center)
    red_digits = [d for d in digit_patches if d.verify_property("digit", "red")]
    if not red_digits:
        return "no red digit"
    first = red_digits[0].simple_query("What digit is this?")
    return image_patch.llm_query("Is {} odd?".format(first), long_answer=False)
