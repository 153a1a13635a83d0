THRESHOLD = 3


def execute_command(image):
    return len(find(image, "car")) > 3
