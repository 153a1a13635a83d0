# ruff: noqa
# Tests: sum of a generator whose element calls llm_query with an f-string holding a call.
# Question: how many sides do the shapes have in all?
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    return sum(
        int(llm_query(f"How many sides does a {s.simple_query('What shape is this?')} have?"))
        for s in shapes
    )
