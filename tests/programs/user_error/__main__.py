"""A program with a bug of its own."""

settings = {"replicas": 3}
print(settings["replica"])
