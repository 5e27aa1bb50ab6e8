NAME = "serve"
def run(ctx): pass
