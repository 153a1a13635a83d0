# ruff: noqa
# Tests: llm_query inside a loop (one site, many executions), append, a conditional expression.
# Question: what sounds would the animals make?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    sounds = []
    for animal in image_patch.find("animal"):
        name = animal.simple_query("What animal is this?")
        sounds.append(llm_query("What sound does a " + name + " make?"))
    return " ".join(sounds) if sounds else "silence"
