import math


def execute_command(image):
    return math.sqrt(2.0)
