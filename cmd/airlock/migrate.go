package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/airlock-sec/airlock/internal/store"
)

// cmdMigrate brings the platform's database to this airlock's schema and
// exits: River's tables and airlock's own migrations, exactly what serve
// and worker apply when they start. Kubernetes runs it as a pre-upgrade
// hook so that no pod of the new version starts on an old schema.
func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := loadServerConfig(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("airlock migrate", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock migrate [flags]\n\nApplies the database migrations of this airlock version (SQLite in --data-dir,\nor PostgreSQL with --database-url) and exits. serve and worker apply them too\nwhen they start; run this first to upgrade the schema on its own (the Helm\nchart's pre-upgrade hook). See docs/deploy.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.String("config", "", "YAML configuration file (env AIRLOCK_CONFIG); flags and environment override it")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory holding the SQLite database (env AIRLOCK_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL instead of SQLite (env AIRLOCK_DATABASE_URL)")
	if pos, err := parse(fs, args, stderr); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("migrate takes no arguments (got %q)", pos[0])}
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: c.DatabaseURL, DataDir: c.DataDir})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %s: schema version: %w", st.Where(), err)
	}
	fmt.Fprintf(stdout, "database %s is at schema version %d (airlock %s)\n", st.Where(), v, toolVersion())
	return nil
}
