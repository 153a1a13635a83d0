from vision import ImagePatch


def execute_command(image):
    return ImagePatch(image).exists("cat")
