module example.com/airlock/sample/api

go 1.20

require (
	github.com/gin-gonic/gin v1.6.0
	github.com/gorilla/websocket v1.4.0
	golang.org/x/net v0.0.0-20210226172049-e18ecbb05110
	golang.org/x/crypto v0.0.0-20200622213623-75b288015ac9
	golang.org/x/text v0.3.5
	gopkg.in/yaml.v2 v2.2.2
	github.com/dgrijalva/jwt-go v3.2.0+incompatible
	github.com/prometheus/client_golang v1.11.0
	github.com/miekg/dns v1.1.25
	github.com/docker/distribution v2.7.1+incompatible
	github.com/opencontainers/runc v1.0.0-rc9
	github.com/tidwall/gjson v1.6.0
	github.com/labstack/echo/v4 v4.1.17
	github.com/go-ldap/ldap/v3 v3.1.3
)

require (
	github.com/gogo/protobuf v1.3.1 // indirect
	google.golang.org/protobuf v1.26.0 // indirect
)
