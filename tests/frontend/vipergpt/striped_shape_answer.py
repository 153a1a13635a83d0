# Question: Which shape is striped?
# Idioms: answer = None before a loop, assigned in it (an optional variable), `if answer is None`.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    answer = None
    for shape_patch in image_patch.find("shape"):
        if shape_patch.verify_property("shape", "striped"):
            answer = shape_patch.simple_query("What shape is this?")
            break
    if answer is None:
        return "no striped shape"
    return "a striped " + answer
