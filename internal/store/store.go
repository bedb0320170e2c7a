// Package store is the platform's persistence: integrations, projects,
// webhook deliveries, scans, findings, triage, API tokens and the audit
// log, on SQLite (the embedded default) or PostgreSQL, with versioned
// migrations. River's job tables live in the same database so that a job
// is enqueued in the same transaction as the rows that cause it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver for database/sql
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // SQLite driver for database/sql
)

// ErrNotFound is returned when a row asked for by its key does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("conflict")

// Dialect names the database engine behind a Store.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says where the data lives.
type Config struct {
	// DatabaseURL selects PostgreSQL (postgres:// or postgresql://). Empty
	// means SQLite in DataDir.
	DatabaseURL string
	// DataDir holds airlock.db when DatabaseURL is empty.
	DataDir string
}

// Store is the database handle. It is safe for concurrent use.
type Store struct {
	Queries
	db      *sql.DB
	dialect Dialect
	where   string
	// listen is the PostgreSQL pool River's LISTEN connections come from
	// (one per running client, held for its life); nil on SQLite.
	listen *pgxpool.Pool
}

// Open connects, applies River's and airlock's migrations, and returns the
// store. Migrations run in one transaction each; a failure leaves the
// schema at the last completed version.
func Open(ctx context.Context, c Config) (*Store, error) {
	s, err := connect(c)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func connect(c Config) (*Store, error) {
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("store: database URL must start with postgres:// (got scheme %q)", schemeOf(c.DatabaseURL))
		}
		db, err := sql.Open("pgx", c.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		db.SetMaxOpenConns(20)
		// As many idle as open: closing and reopening connections under a
		// burst of webhooks costs more than keeping them.
		db.SetMaxIdleConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
		// River's listener: LISTEN/NOTIFY wakes a worker the moment a job
		// is inserted, instead of at its next poll. Its connections are
		// taken out of this pool for the life of each River client.
		lc, err := pgxpool.ParseConfig(c.DatabaseURL)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: database URL: %w", err)
		}
		lc.MinConns, lc.MaxConns = 0, 2
		listen, err := pgxpool.NewWithConfig(context.Background(), lc)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
		where := u.Host + u.Path
		return &Store{Queries: Queries{db, Postgres}, db: db, dialect: Postgres, where: "postgres://" + where, listen: listen}, nil
	}
	if c.DataDir == "" {
		return nil, errors.New("store: no data directory and no database URL")
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: data directory: %w", err)
	}
	path := filepath.Join(c.DataDir, "airlock.db")
	// The database holds sealed tokens and every finding: readable by
	// its owner only, like the key file, also when the directory existed
	// (SQLite gives its -wal and -shm files the database file's mode).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = f.Chmod(0o600)
	}
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	// One connection: River's driver needs it (SQLite allows one writer and
	// River runs its maintenance in parallel), and it makes every write
	// wait its turn instead of failing with SQLITE_BUSY.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return &Store{Queries: Queries{db, SQLite}, db: db, dialect: SQLite, where: path}, nil
}

func schemeOf(s string) string {
	if i := strings.Index(s, "://"); i > 0 {
		return s[:i]
	}
	return ""
}

// Close releases the database.
func (s *Store) Close() error {
	if s.listen != nil {
		s.listen.Close()
	}
	return s.db.Close()
}

// DB is the underlying handle, for River.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect says which engine this is.
func (s *Store) Dialect() Dialect { return s.dialect }

// Where describes the database for logs: a file path or the PostgreSQL
// host and database, never credentials.
func (s *Store) Where() string { return s.where }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// RiverDriver is the River driver for this database, over the same pool.
func (s *Store) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if s.dialect == Postgres {
		// Transactions are the store's database/sql ones; only LISTEN
		// goes through pgx (riverpgxv5's listener).
		return riverdatabasesql.NewWithPgxListener(s.db, s.listen)
	}
	return riversqlite.New(s.db)
}

// Tx is a transaction: the same queries as the store, plus the *sql.Tx for
// River's InsertTx.
type Tx struct {
	Queries
	tx *sql.Tx
}

// SQL is the transaction, for River.
func (t *Tx) SQL() *sql.Tx { return t.tx }

// InTx runs fn in a transaction, committing when it returns nil. With
// SQLite's single connection, fn must use only t, never the store.
func (s *Store) InTx(ctx context.Context, fn func(t *Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(&Tx{Queries{tx, s.dialect}, tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries holds every query; Store and Tx both embed it.
type Queries struct {
	q       execer
	dialect Dialect
}

// rebind turns ? placeholders into PostgreSQL's $n. Queries here never
// contain a literal question mark.
func (q Queries) rebind(query string) string {
	if q.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (q Queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.q.ExecContext(ctx, q.rebind(query), args...)
}

func (q Queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.q.QueryContext(ctx, q.rebind(query), args...)
}

func (q Queries) row(ctx context.Context, query string, args ...any) *sql.Row {
	return q.q.QueryRowContext(ctx, q.rebind(query), args...)
}

// insert runs an INSERT ... RETURNING id.
func (q Queries) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := q.row(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, conflict(err)
}

// conflict maps unique-constraint violations of both engines to ErrConflict.
func conflict(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") || strings.Contains(msg, "duplicate key value") {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// notFound maps sql.ErrNoRows to ErrNotFound, naming what was looked for.
func notFound(err error, what string, id any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s %v: %w", what, id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: %s %v: %w", what, id, err)
	}
	return nil
}

// millis is how times are stored: Unix milliseconds, the same on both
// engines.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func optMillis(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromOptMillis(ms sql.NullInt64) *time.Time {
	if !ms.Valid {
		return nil
	}
	t := fromMillis(ms.Int64)
	return &t
}

func (s *Store) migrate(ctx context.Context) error {
	m, err := rivermigrate.New(s.RiverDriver(), nil)
	if err != nil {
		return fmt.Errorf("store: river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: river migrations: %w", err)
	}
	if _, err := s.exec(ctx, `CREATE TABLE IF NOT EXISTS airlock_migration (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	var have int
	if err := s.row(ctx, `SELECT COALESCE(MAX(version), 0) FROM airlock_migration`).Scan(&have); err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("store: the database is at schema version %d, newer than this airlock (%d): upgrade airlock", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		sqlText := s.expand(migrations[v-1])
		gm, hasGo := goMigrations[v]
		if hasGo && gm.fkOff && s.dialect == SQLite {
			// Outside the transaction (SQLite ignores it inside), on the
			// one connection.
			if _, err := s.exec(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
				return fmt.Errorf("store: migration %d: %w", v, err)
			}
		}
		err := s.InTx(ctx, func(t *Tx) error {
			if s.dialect == Postgres {
				// Two processes starting together: one migrates, the
				// other waits here and then finds the work done.
				if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(7432011)`); err != nil {
					return err
				}
				var cur int
				if err := t.row(ctx, `SELECT COALESCE(MAX(version), 0) FROM airlock_migration`).Scan(&cur); err != nil {
					return err
				}
				if cur >= v {
					return nil
				}
			}
			for _, stmt := range splitSQL(sqlText) {
				if _, err := t.exec(ctx, stmt); err != nil {
					return fmt.Errorf("store: migration %d: %w\n%s", v, err, stmt)
				}
			}
			if hasGo {
				if err := gm.run(ctx, t); err != nil {
					return fmt.Errorf("store: migration %d: %w", v, err)
				}
				if gm.fkOff && s.dialect == SQLite {
					rows, err := t.query(ctx, `PRAGMA foreign_key_check`)
					if err != nil {
						return err
					}
					bad := rows.Next()
					rows.Close()
					if bad {
						return fmt.Errorf("store: migration %d: foreign keys broken", v)
					}
				}
			}
			_, err := t.exec(ctx, `INSERT INTO airlock_migration (version, applied_at) VALUES (?, ?)`, v, millis(time.Now()))
			return err
		})
		if hasGo && gm.fkOff && s.dialect == SQLite {
			if _, ferr := s.exec(ctx, `PRAGMA foreign_keys = ON`); ferr != nil && err == nil {
				err = fmt.Errorf("store: migration %d: %w", v, ferr)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the airlock schema version applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.row(ctx, `SELECT COALESCE(MAX(version), 0) FROM airlock_migration`).Scan(&v)
	return v, err
}

// expand fills the engine-specific types into a migration.
func (s *Store) expand(m string) string {
	r := strings.NewReplacer(
		"{{id}}", map[Dialect]string{SQLite: "INTEGER PRIMARY KEY AUTOINCREMENT", Postgres: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"}[s.dialect],
		"{{blob}}", map[Dialect]string{SQLite: "BLOB", Postgres: "BYTEA"}[s.dialect],
	)
	return r.Replace(m)
}

func splitSQL(s string) []string {
	var out []string
	for _, stmt := range strings.Split(s, ";") {
		if strings.TrimSpace(stmt) != "" {
			out = append(out, strings.TrimSpace(stmt))
		}
	}
	return out
}
