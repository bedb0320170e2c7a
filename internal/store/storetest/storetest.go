// Package storetest opens throwaway stores for tests: SQLite in a temporary
// directory, and PostgreSQL in a fresh schema of the server named by
// AIRLOCK_TEST_DATABASE_URL, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/airlock-sec/airlock/internal/store"
)

// Engines lists the engines a store test should run on: always SQLite,
// and PostgreSQL when AIRLOCK_TEST_DATABASE_URL is set.
func Engines() []store.Dialect {
	if os.Getenv("AIRLOCK_TEST_DATABASE_URL") != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// Config returns a store configuration for the engine, backed by a fresh
// database that disappears with the test.
func Config(t testing.TB, d store.Dialect) store.Config {
	t.Helper()
	if d == store.SQLite {
		return store.Config{DataDir: t.TempDir()}
	}
	base := os.Getenv("AIRLOCK_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("AIRLOCK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("PostgreSQL at AIRLOCK_TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Config{DatabaseURL: u.String()}
}

// Open opens a fresh store on the engine, closed when the test ends.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), Config(t, d))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each runs fn as a subtest on every engine.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, d := range Engines() {
		t.Run(string(d), func(t *testing.T) { fn(t, Open(t, d)) })
	}
}
