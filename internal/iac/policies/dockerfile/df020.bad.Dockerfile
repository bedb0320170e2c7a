FROM python:3.12-slim
# expect: DF020
RUN pip install -r requirements.txt
