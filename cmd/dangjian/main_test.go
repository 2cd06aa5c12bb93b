package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// cli runs the command in-process and returns exit code, stdout and stderr.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// eachURL runs fn with a fresh database URL and key folder per engine.
func eachURL(t *testing.T, fn func(t *testing.T, url, keys string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, dbtest.SQLiteURL(t), t.TempDir()) })
	if dbtest.PGURL() == "" && !dbtest.Strict() {
		return
	}
	t.Run("postgres", func(t *testing.T) { fn(t, dbtest.PostgresURL(t), t.TempDir()) })
}

func TestSetupUserTokenAuditVerify(t *testing.T) {
	eachURL(t, func(t *testing.T, url, keys string) {
		dbf := []string{"--db", url, "--key-dir", keys}
		code, out, stderr := cli(t, "Bright-sky-2026\n", append([]string{"setup", "--org-name", "示例市直机关工委", "--username", "admin", "--password-stdin"}, dbf...)...)
		if code != 0 || strings.TrimSpace(out) == "" {
			t.Fatalf("setup: %d %q %q", code, out, stderr)
		}
		rootID := strings.TrimSpace(out)
		fi, err := os.Stat(filepath.Join(keys, "audit.key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("audit key file: %v %v", fi, err)
		}
		// Setup refuses a database that is already set up.
		if code, _, stderr := cli(t, "Bright-sky-2026\n", append([]string{"setup", "--org-name", "again", "--username", "admin2", "--password-stdin"}, dbf...)...); code == 0 || !strings.Contains(stderr, "已初始化") {
			t.Fatalf("second setup: %d %q", code, stderr)
		}
		// A weak password is refused with the policy's message.
		if code, _, stderr := cli(t, "short\n", append([]string{"user", "create", "--username", "weak", "--role", "org_admin", "--org", rootID, "--password-stdin"}, dbf...)...); code == 0 || !strings.Contains(stderr, "密码至少8位") {
			t.Fatalf("weak password: %d %q", code, stderr)
		}
		if code, out, stderr := cli(t, "Quiet-lake-2026\n", append([]string{"user", "create", "--username", "auditor", "--role", "audit_admin", "--org", rootID, "--password-stdin"}, dbf...)...); code != 0 || strings.TrimSpace(out) == "" {
			t.Fatalf("user create: %d %q %q", code, out, stderr)
		}
		code, out, _ = cli(t, "", append([]string{"token", "create", "--username", "auditor", "--expires", "30d"}, dbf...)...)
		if code != 0 || !strings.HasPrefix(out, "djp_") || strings.Count(out, "\n") != 1 {
			t.Fatalf("token create should print only the token: %d %q", code, out)
		}
		code, out, stderr = cli(t, "", append([]string{"audit", "verify"}, dbf...)...)
		if code != 0 || !strings.HasPrefix(out, "audit trail intact:") || strings.Count(out, "\n") != 1 {
			t.Fatalf("verify: %d %q %q", code, out, stderr)
		}
		code, note, _ := cli(t, "", append([]string{"audit", "checkpoint"}, dbf...)...)
		if code != 0 || !strings.Contains(note, "dangjian audit checkpoint") {
			t.Fatalf("checkpoint: %d %q", code, note)
		}
		notePath := filepath.Join(t.TempDir(), "checkpoint.txt")
		os.WriteFile(notePath, []byte(note), 0o644)

		// Tamper with the trail as someone with database access would → verify fails and names the entry.
		tamper(t, url, "UPDATE audit_log SET actor_name = 'someone_else' WHERE seq = 2")
		code, _, stderr = cli(t, "", append([]string{"audit", "verify"}, dbf...)...)
		if code == 0 || !strings.Contains(stderr, "entry 2") {
			t.Fatalf("tampered verify: %d %q", code, stderr)
		}
		code, _, stderr = cli(t, "", append([]string{"audit", "verify", "--against", notePath}, dbf...)...)
		if code == 0 {
			t.Fatalf("tampered verify against checkpoint passed: %q", stderr)
		}
	})
}

func tamper(t *testing.T, url, stmt string) {
	t.Helper()
	e, dsn, _ := db.ParseURL(url)
	driver := "pgx"
	if e == db.SQLite {
		driver, dsn = "sqlite", "file:"+dsn
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	drops := []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}
	if e == db.Postgres {
		drops = []string{"DROP TRIGGER audit_log_no_update ON audit_log"}
	}
	for _, d := range drops {
		if _, err := raw.Exec(d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

func TestNoDefaultAccounts(t *testing.T) {
	eachURL(t, func(t *testing.T, url, keys string) {
		code, out, _ := cli(t, "", "migrate", "up", "--db", url)
		if code != 0 || !strings.Contains(out, "00001") {
			t.Fatalf("migrate up: %d %q", code, out)
		}
		code, out, _ = cli(t, "", "migrate", "status", "--db", url)
		if code != 0 || !strings.Contains(out, "applied") {
			t.Fatalf("migrate status: %d %q", code, out)
		}
		d, err := db.Open(context.Background(), url, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var n int
		if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM users").Scan(&n); err != nil || n != 0 {
			t.Fatalf("fresh database has %d accounts (%v)", n, err)
		}
	})
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	url := dbtest.SQLiteURL(t)
	keys := t.TempDir()
	if code, _, stderr := cli(t, "", "demo", "--db", url, "--key-dir", keys); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	to := filepath.Join(t.TempDir(), "copy.db")
	if code, out, stderr := cli(t, "", "backup", "--to", to, "--db", url, "--key-dir", keys); code != 0 || !strings.Contains(out, to) {
		t.Fatalf("backup: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := cli(t, "", "audit", "verify", "--db", "sqlite:"+to, "--key-dir", keys); code != 0 {
		t.Fatalf("the copy's trail does not verify: %q %q", out, stderr)
	}
	if code, _, _ := cli(t, "", "backup", "--to", to, "--db", url); code != 2 {
		t.Fatal("backup overwrote an existing file")
	}
}

func TestUsage(t *testing.T) {
	if code, out, _ := cli(t, "", "--help"); code != 0 || !strings.Contains(out, "dangjian serve") {
		t.Fatal("help")
	}
	if code, _, _ := cli(t, "", "frobnicate"); code != 2 {
		t.Fatal("unknown command")
	}
	if code, _, _ := cli(t, "", "setup", "--db", dbtest.SQLiteURL(t)); code != 2 {
		t.Fatal("setup without flags")
	}
}
