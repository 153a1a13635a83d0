def execute_command(image):
    n = len(find(image, "car"))
    return n ** 2
