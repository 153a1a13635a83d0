def execute_command(image):
    if (n := len(find(image, "car"))) > 2:
        return n
    return 0
