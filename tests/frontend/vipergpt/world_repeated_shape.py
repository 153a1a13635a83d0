# Question: Which shape appears more than once?
# Idioms: (the embedded world) a loop over literal names, "{} {}s".format, no return at the end.
def execute_command(image):
    image_patch = ImagePatch(image)
    for shape in ["circle", "square", "triangle"]:
        count = len(image_patch.find(shape))
        if count > 1:
            return "{} {}s".format(count, shape)
