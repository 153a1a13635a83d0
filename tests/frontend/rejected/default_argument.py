def count(image, name="car"):
    return len(find(image, name))


def execute_command(image):
    return count(image, "car")
