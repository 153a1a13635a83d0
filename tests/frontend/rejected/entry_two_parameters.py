def execute_command(image, question):
    return ImagePatch(image).simple_query(question)
