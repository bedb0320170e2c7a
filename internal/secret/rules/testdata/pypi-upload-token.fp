  username = __token__
tokens start with pypi-AgEIcHlwaS5vcmc and are long
TWINE_PASSWORD=pypi-<token>
pypi-AgEIcHlwaS5vcmcG1VFGbY0mmYChMGuYZGw (cut)
