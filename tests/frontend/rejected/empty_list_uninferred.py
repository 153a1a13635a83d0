def execute_command(image):
    found = []
    return len(found)
