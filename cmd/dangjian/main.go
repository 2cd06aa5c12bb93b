// Command dangjian is the whole platform in one binary: the web server, migrations, setup, accounts,
// tokens, the audit verifier, backups and the demo city.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

const usage = `dangjian — 机关党建管理平台

Usage:
  dangjian serve   [--addr 127.0.0.1:8080] [--demo] [--secure-cookies]
  dangjian migrate status|up
  dangjian setup   --org-name NAME --username USER --password-stdin
  dangjian user create --username U --role ROLE --org ORG_ID [--member MEMBER_ID] --password-stdin
  dangjian token create --username U [--expires 90d]
  dangjian audit verify [--against CHECKPOINT_FILE]
  dangjian audit checkpoint [--out FILE]
  dangjian backup --to FILE
  dangjian demo

Every command takes --db (or DANGJIAN_DB): sqlite:PATH (default sqlite:./data/dangjian.db) or postgres://…
and --key-dir (or DANGJIAN_KEY_DIR): where the audit key file lives (default: the SQLite file's folder, ./data for PostgreSQL).
Roles: org_admin, branch_officer, member, system_admin, security_admin, audit_admin.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmds := map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error{
		"serve": cmdServe, "migrate": cmdMigrate, "setup": cmdSetup, "user": cmdUser, "token": cmdToken,
		"audit": cmdAudit, "backup": cmdBackup, "demo": cmdDemo,
	}
	f, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "dangjian: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := f(ctx, args[1:], stdin, stdout, stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "dangjian %s: %s\n", args[0], ue.msg)
			return 2
		}
		fmt.Fprintf(stderr, "dangjian %s: %s\n", args[0], describe(err))
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// describe turns a platform error into an operator's sentence (Chinese first, as the UI).
func describe(err error) string {
	e, ok := errs.As(err)
	if !ok {
		return err.Error()
	}
	cat := i18n.Std()
	parts := []string{cat.T(i18n.ZhHans, e.Key, e.Args)}
	for f, k := range e.Fields {
		parts = append(parts, f+": "+cat.T(i18n.ZhHans, k, e.Args))
	}
	return strings.Join(parts, "; ")
}

func readPassword(stdin io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return "", err
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", usageError{"no password on standard input"}
	}
	return pw, nil
}
