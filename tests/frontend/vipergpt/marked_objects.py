# Question: Which objects are striped or dotted?
# Idioms: xs.extend(ys), xs.append(v) and xs.sort() on local lists, ", ".join(...).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    marked = []
    for word in ["striped", "dotted"]:
        found = [p for p in image_patch.find("object") if p.verify_property("object", word)]
        marked.extend(found)
    names = []
    for patch in marked:
        names.append(patch.simple_query("What is this?"))
    names.sort()
    return ", ".join(names) if names else "nothing marked"
