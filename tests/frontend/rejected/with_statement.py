def execute_command(image):
    with open("log.txt") as log:
        pass
    return "ok"
