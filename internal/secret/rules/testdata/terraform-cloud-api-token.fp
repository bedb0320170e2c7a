TFE_TOKEN=xxxxxxxxxxxxxx.atlasv1.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
Team tokens contain .atlasv1. between the ID and the secret.
bhT1inVyElMnUW.atlasv1.AyLS3n3aBZ (cut)
