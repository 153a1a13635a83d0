def execute_command(image):
    patch = ImagePatch(image)
    a = patch.verify_property("car")
    b = exists(image, "car", "red")
    return a and b
