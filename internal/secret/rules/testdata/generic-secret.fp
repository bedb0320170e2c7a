secret: ${{ secrets.DEPLOY_KEY }}
token = os.environ["GITHUB_TOKEN"]
api_key: "<your-api-key>"
auth: true
token_expiry: 3600
tokenizer_name = "bert-base-multilingual-cased-v2"
max_tokens: 4096
secret_name = "prod/payments/stripe-webhook"
token_url: https://login.microsoftonline.com/common/oauth2/v2.0/token
secret = self.vault_client.read_secret
"authDomain": "shop-prod-41822.firebaseapp.com",
@@ src/client.ts @@     apiKey: apiKeyFromEnvironment
ACCESS_KEY_FILE=/run/secrets/access_key
token: abcdefghijklmnop
SECRET_KEY=1234567890123456
sessionToken: string | undefined;
secret_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
auth = HTTPBasicAuth(user, pw)
token_type: Bearer
credentials: include
Content-Type: application/json
@@ crypto/tls/auth_test.go @@ 		PrivateKey:  testRSA2048PrivateKey,
@@ crypto/x509/pkcs8.go @@ 	privKey.PrivateKey = MarshalPKCS1PrivateKey(k)
@@ cmd/go/internal/work/gc.go @@ 	tokens = 2*maxTokens + minTokens*cfg.BuildP
@@ os/exec/exec_posix_test.go @@ 		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)},
@@ crypto/x509/x509_test.go @@ var rsaPrivateKey = &rsa.PrivateKey{
@@ net/http/transport.go @@ 	auth := &socksUsernamePassword{
@@ crypto/tls/tls_test.go @@ 			config.Certificates[0].PrivateKey = testRSA2048PrivateKey
signing_key = os.environ["SIGNING_KEY"]
@@ src/auth.ts @@ const jwtSigningKey = process.env.JWT_SIGNING_KEY;
encryption_key: ${ENCRYPTION_KEY}
master_key_file: /etc/app/master.key
hmac_key_length = 32
@@ config/app.go @@ 	encryptionKey := deriveKey(password, salt)
api_key = A1B2C3D4E5F6G7H8I9J0
SECRET_KEY=Z9Y8X7W6V5U4T3S2R1Q0
@@ docker-compose.yml @@       API_TOKEN: $${UPSTREAM_API_TOKEN}
