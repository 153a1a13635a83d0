def execute_command(image):
    os = __import__("os")
    names = globals()
    return "ok"
