def execute_command(image):
    exec("x = 1")
    compile("1", "f", "eval")
    return "done"
