def execute_command(image):
    if exists(image, "car"):
        break
    return "no"
