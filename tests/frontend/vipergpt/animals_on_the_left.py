# Question: Which animal is on the left side of the image?
# Idioms: functions from a library file (geo.yaml): a domain method verify_property_geospatial
# (with ViperGPT's visual_property= keyword) and a routable function process_guesses.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    guesses = []
    for animal_patch in image_patch.find("animal"):
        if animal_patch.verify_property_geospatial("animal", visual_property="left side"):
            guesses.append(animal_patch.simple_query("What animal is this?"))
    return process_guesses("Which animal is on the left?", guesses)
