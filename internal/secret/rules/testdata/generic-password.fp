password: ${DB_PASSWORD}
password = getpass.getpass()
password: "password"
hashed_password: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
PASSWORD_MIN_LENGTH=12
@@ app/views.py @@ password = user_input
<input type="password" name="password" autocomplete="current-password">
password: "********"
passwordPolicy = PasswordPolicy.Strict;
password: Summer2024
PASSWORD_FILE=/run/secrets/db_password
spring.datasource.password=${SPRING_DATASOURCE_PASSWORD}
if user.password == hashlib.sha256(pw).hexdigest():
docker login --username ci --password-stdin < token.txt
password = form.cleaned_data['password']
@@ net/url/gen_encoding_table.go @@ 	encodeUserPassword: "encodeUserPassword",
@@ cmd/go/internal/auth/gitauth_test.go @@ 		builder.WriteString("password=longpasswordvalue0123\n")
@@ cmd/login/main.go @@ 	password := strings.TrimSpace(string(pwBytes))
@@ os/user/listgroups_unix.go @@ 		// 	groupname:password:GID:user_list
@@ docker-compose.yml @@       DB_PASSWORD: $$POSTGRES_PASSWORD_VALUE
password = "a1b2c3d4e5f6g7h8"
