repository-url: https://test.pypi.org/legacy/
TestPyPI tokens start with pypi-AgENdGVzdC5weXBpLm9yZw.
pypi-AgENdGVzdC5weXBpLm9yZwrO4HGyRHCVEPnOZNjR5c (cut)
