package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestMigrate: 'airlock migrate' brings a new database to the current
// schema and exits, on SQLite (--data-dir) and PostgreSQL
// (AIRLOCK_DATABASE_URL, as the Helm hook passes it); a second run
// changes nothing; a database newer than the binary is refused.
func TestMigrate(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Config(t, d)
			env := []string{"AIRLOCK_DATA_DIR=", "AIRLOCK_DATABASE_URL=", "AIRLOCK_CONFIG="}
			var args []string
			driver, dsn := "sqlite", "file:"+filepath.Join(cfg.DataDir, "airlock.db")
			if d == store.Postgres {
				env = append(env, "AIRLOCK_DATABASE_URL="+cfg.DatabaseURL)
				driver, dsn = "pgx", cfg.DatabaseURL
			} else {
				args = append(args, "--data-dir", cfg.DataDir)
			}
			migrate := func() (result, int) {
				t.Helper()
				r := airlockEnv(t, binary, env, nil, append([]string{"migrate"}, args...)...)
				if r.code != 0 {
					t.Fatalf("migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				m := regexp.MustCompile(`is at schema version (\d+) `).FindStringSubmatch(r.stdout)
				if m == nil {
					t.Fatalf("migrate did not say the schema version:\n%s", r.stdout)
				}
				v, _ := strconv.Atoi(m[1])
				return r, v
			}
			r, v := migrate()
			if strings.Contains(r.stdout, "postgres://postgres@") {
				t.Errorf("migrate printed the database URL's user: %s", r.stdout)
			}

			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var have, jobs int
			if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM airlock_migration`).Scan(&have); err != nil {
				t.Fatalf("airlock's migrations table: %v", err)
			}
			if have != v || v < 1 {
				t.Errorf("migrate said version %d, the table holds %d", v, have)
			}
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job`).Scan(&jobs); err != nil {
				t.Errorf("River's tables were not created: %v", err)
			}
			// Nothing is left for serve to apply.
			st, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			now, err := st.SchemaVersion(ctx)
			st.Close()
			if err != nil || now != v {
				t.Errorf("after migrate the store applied more: version %d → %d (%v)", v, now, err)
			}
			if _, again := migrate(); again != v {
				t.Errorf("a second migrate moved the schema from %d to %d", v, again)
			}

			// A rollback of the binary below the schema is refused, not run.
			if _, err := db.ExecContext(ctx, `INSERT INTO airlock_migration (version, applied_at) VALUES (9999, 0)`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			r = airlockEnv(t, binary, env, nil, append([]string{"migrate"}, args...)...)
			if r.code != exitError || !strings.Contains(r.stderr, "newer than this airlock") {
				t.Errorf("migrate on a newer schema: exit %d, want 1 saying it is newer\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestMigrateUsage(t *testing.T) {
	env := []string{"AIRLOCK_DATA_DIR=", "AIRLOCK_DATABASE_URL=", "AIRLOCK_CONFIG="}
	r := airlockEnv(t, binary, env, nil, "migrate", "--data-dir", t.TempDir(), "extra")
	if r.code != exitUsage || !strings.Contains(r.stderr, "migrate takes no arguments") {
		t.Errorf("positional argument: exit %d\n%s", r.code, r.stderr)
	}
	r = airlockEnv(t, binary, env, nil, "migrate", "--database-url", "mysql://db/airlock")
	if r.code != exitError || !strings.Contains(r.stderr, "postgres://") {
		t.Errorf("a MySQL URL: exit %d, want 1 naming postgres://\n%s", r.code, r.stderr)
	}
	r = airlockEnv(t, binary, env, nil, "migrate", "-h")
	if r.code != exitOK || !strings.Contains(r.stderr, "--database-url") {
		t.Errorf("migrate -h: exit %d\n%s", r.code, r.stderr)
	}
}
