# ruff: noqa
# Tests: plain function verify_property, nested ifs with returns inside a loop.
# Question: is there a striped shape, and is it red?
def execute_command(image) -> str:
    for shape in find(image, "shape"):
        if verify_property(shape, "shape", "striped"):
            if verify_property(shape, "shape", "red"):
                return "red striped shape"
            return "striped shape"
    return "no striped shape"
