async def execute_command(image):
    return await find(image, "car")
