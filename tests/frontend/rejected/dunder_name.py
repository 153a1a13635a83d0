def execute_command(image):
    patch = ImagePatch(image)
    return patch.__class__.__name__
