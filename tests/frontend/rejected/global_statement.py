def execute_command(image):
    global seen
    seen = find(image, "car")
    return len(seen)
