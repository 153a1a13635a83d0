def execute_command(image):
    if exists(image, "car"):
        answer = 1
    else:
        answer = "none"
    return answer
