def execute_command(image):
    patch = ImagePatch(image)
    answer = patch.simple_qery("what colour is the car?")
    return answer.capitalize()
