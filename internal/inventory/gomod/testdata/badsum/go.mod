module github.com/acme/old

require github.com/gorilla/websocket v1.4.0
