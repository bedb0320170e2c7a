The secret value starts with H2v2Q~z3q and is shown only once.
AZURE_CLIENT_SECRET=${{ secrets.AZURE_CLIENT_SECRET }}
C:\PROGRA~1\AZURE~1\bin\az.cmd login --service-principal
id: aWy3Q~77kNGM3w-mEzkR
