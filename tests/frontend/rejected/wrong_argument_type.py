def execute_command(image):
    patch = ImagePatch(image)
    return patch.best_text_match("red")
