def execute_command(image):
    if exists(image, "car"):
        answer = "yes"
    return answer
