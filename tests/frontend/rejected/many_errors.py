import os


def helper(x=1):
    while x:
        x -= 1
    return x


def execute_command(image):
    patch = ImagePatch(image)
    cars = patch.fnd("car")
    total = "n" + 1
    if exists(image, "truck"):
        label = "truck"
    print(label)
    return len(7)
