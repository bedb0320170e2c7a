DOCKERHUB_TOKEN=dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx
dckr_pat_IZmdQcQV4x (cut)
docker login -u ci-bot -p dckr_pat_<token>
