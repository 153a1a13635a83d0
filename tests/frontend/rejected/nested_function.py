def execute_command(image):
    def count(name):
        return len(find(image, name))

    return count("car")
