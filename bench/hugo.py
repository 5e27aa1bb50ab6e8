NAME = "hugo"
EXTRAS = 3
def run(ctx): pass
