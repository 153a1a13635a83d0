"""Counts cars."""


def main(image):
    return len(find(image, "car"))
