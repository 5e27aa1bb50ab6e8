# feedgen ships no type hints (https://github.com/lkiesow/python-feedgen): the little feedsvc uses, typed here so
# that mypy --strict can check the code on our side of the boundary. Documented API:
# https://feedgen.kiesow.be/api.html
