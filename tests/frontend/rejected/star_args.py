def count(image, *names, **options):
    return len(find(image, "car"))


def execute_command(image):
    return count(image)
