def execute_command(image):
    if exists(image, "car"):
        return "yes"
    return 0
