# Question: How many digits are there, and what color is the first?
# Idioms: backend pins: find(..., backend="large") and simple_query(..., routing=0) fix the
# backend of those calls; no policy routes them.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit", backend="large")
    if len(digits) == 0:
        return "no digits"
    colour = digits[0].simple_query("What color is it?", routing=0)
    return f"{len(digits)} digits, the first is {colour}"
