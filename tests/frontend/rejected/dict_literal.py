def execute_command(image):
    counts = {"car": len(find(image, "car"))}
    return counts
