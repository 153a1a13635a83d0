def execute_command(image):
    code = ImagePatch(image).simple_query("what should I run?")
    return eval(code)
