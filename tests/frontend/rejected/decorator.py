@cache
def count(image, name):
    return len(find(image, name))


def execute_command(image):
    return count(image, "car")
