def execute_command(image):
    patches = find(image, "car")
    i = 0
    while i < len(patches):
        i += 1
    return i
