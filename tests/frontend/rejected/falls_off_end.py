def execute_command(image) -> str:
    if exists(image, "car"):
        return "yes"
