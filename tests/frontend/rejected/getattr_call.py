def execute_command(image):
    patch = ImagePatch(image)
    method = getattr(patch, "find")
    setattr(patch, "left", 0)
    return "ok"
