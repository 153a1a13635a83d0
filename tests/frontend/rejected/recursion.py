def count_down(n):
    if n <= 0:
        return 0
    return count_down(n - 1)


def execute_command(image):
    return count_down(3)
