package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/jobs"
	"github.com/dangjian/dangjian/internal/web"
)

// cliContext marks writes made from the command line in the audit trail.
func cliContext(ctx context.Context) context.Context {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return audit.WithActor(ctx, audit.Actor{Username: name, Role: "operator", ClientIP: "local"})
}

func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{"unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c := addCommon(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	withDemo := fs.Bool("demo", false, "load the demo city into an empty database")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (when served over HTTPS behind a gateway)")
	cpDir := fs.String("checkpoint-dir", os.Getenv("DANGJIAN_CHECKPOINT_DIR"), "also write each signed audit checkpoint here, e.g. a folder mounted from another host (env DANGJIAN_CHECKPOINT_DIR)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	start := time.Now()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	km := keyCreateIfFresh
	a, err := c.open(ctx, km)
	if err != nil {
		return err
	}
	defer a.close()
	if *withDemo {
		if err := loadDemo(cliContext(ctx), a, stdout, true); err != nil {
			return err
		}
	}
	sched := jobs.New(a.db, a.clock, jobs.Options{Logger: a.log})
	registerJobs(sched, a, *cpDir)
	sched.Start(ctx)
	defer sched.Stop()

	srv, err := web.New(web.Deps{Platform: a.wired, Log: a.log, Secure: *secure})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	fmt.Fprintf(stdout, "dangjian: serving on http://%s/ (database %s, ready in %s)\n", ln.Addr(), redactURL(c.dbURL), time.Since(start).Round(time.Millisecond))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "dangjian: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	// A last checkpoint so the trail's head is signed at shutdown.
	if _, err := a.trail.Checkpoint(cliContext(context.Background())); err != nil {
		a.log.Warn("final audit checkpoint", "err", err)
	}
	return nil
}

// registerJobs wires the platform's own periodic work.
func registerJobs(s *jobs.Scheduler, a *app, checkpointDir string) {
	s.Every("audit.checkpoint", time.Minute, func(ctx context.Context, _ jobs.Job) error {
		due, err := a.trail.Due(ctx)
		if err != nil || !due {
			return err
		}
		cp, err := a.trail.Checkpoint(audit.WithActor(ctx, audit.Actor{Username: "system", Role: "system"}))
		if err != nil || checkpointDir == "" {
			return err
		}
		// Copies kept off the database: what a later whole-log rewrite is checked against (AL-04).
		if err := os.MkdirAll(checkpointDir, 0o750); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(checkpointDir, fmt.Sprintf("checkpoint-%012d.txt", cp.Size)), []byte(cp.Note), 0o640)
	})
	s.Every("jobs.prune", 24*time.Hour, func(ctx context.Context, _ jobs.Job) error {
		_, err := s.Prune(ctx, 90*24*time.Hour)
		return err
	})
	s.Every("auth.session_cleanup", time.Hour, func(ctx context.Context, _ jobs.Job) error {
		return a.auth.PurgeSessions(ctx)
	})
	a.wired.RegisterJobs(s)
}

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 && strings.HasPrefix(u, "postgres") {
		if j := strings.Index(u, "://"); j > 0 {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}

func loadDemo(ctx context.Context, a *app, stdout io.Writer, skipIfSetUp bool) error {
	if ok, err := a.auth.IsSetUp(ctx); err != nil {
		return err
	} else if ok {
		if skipIfSetUp {
			fmt.Fprintln(stdout, "dangjian: the database is already set up; demo data not loaded again (the demo logins were printed when it was first loaded)")
			return nil
		}
	}
	start := time.Now()
	res, err := demo.Load(ctx, a.wired, demo.Full, uint64(time.Now().UnixNano()), clock.Today(a.clock))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dangjian: demo city loaded in %s — %d committees, %d branches, %d cells, %d members (all fictitious)\n",
		time.Since(start).Round(time.Millisecond), res.Committees, res.Branches, res.Cells, res.Members)
	fmt.Fprintln(stdout, "Demo logins (shown once; passwords are not stored anywhere in clear):")
	for _, l := range res.Logins {
		fmt.Fprintf(stdout, "  %-15s %-14s password: %s\n", l.Role, l.Username, l.Password)
	}
	return nil
}

func cmdDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	c := addCommon(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	a, err := c.open(ctx, keyCreate)
	if err != nil {
		return err
	}
	defer a.close()
	return loadDemo(cliContext(ctx), a, stdout, false)
}

func cmdMigrate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "up") {
		return usageError{"want: migrate status|up"}
	}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	c := addCommon(fs)
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	d, err := db.Open(ctx, c.dbURL, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if args[0] == "up" {
		done, err := d.Migrate(ctx)
		for _, m := range done {
			fmt.Fprintln(stdout, "applied", m)
		}
		if err == nil && len(done) == 0 {
			fmt.Fprintln(stdout, "up to date")
		}
		return err
	}
	st, err := d.MigrationStatus(ctx)
	for _, l := range st {
		fmt.Fprintln(stdout, l)
	}
	return err
}

func cmdSetup(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	c := addCommon(fs)
	orgName := fs.String("org-name", "", "name of the root organisation (the organs' work committee)")
	username := fs.String("username", "", "first administrator's username")
	pwStdin := fs.Bool("password-stdin", false, "read the administrator's password from standard input")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *orgName == "" || *username == "" || !*pwStdin {
		return usageError{"need --org-name, --username and --password-stdin"}
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	a, err := c.open(ctx, keyCreate)
	if err != nil {
		return err
	}
	defer a.close()
	id, err := a.auth.Setup(cliContext(ctx), *orgName, *username, pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, id)
	return nil
}

func cmdUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"want: user create --username U --role ROLE --org ORG_ID [--member MEMBER_ID] --password-stdin"}
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	c := addCommon(fs)
	username := fs.String("username", "", "username")
	role := fs.String("role", "", "role")
	orgID := fs.Int64("org", 0, "organisation id")
	memberID := fs.Int64("member", 0, "member id (for member accounts)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	if *username == "" || *role == "" || *orgID == 0 || !*pwStdin {
		return usageError{"need --username, --role, --org and --password-stdin"}
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	a, err := c.open(ctx, keyMustExist)
	if err != nil {
		return err
	}
	defer a.close()
	id, err := a.auth.CreateUser(cliContext(ctx), auth.NewUser{Username: *username, Password: pw, Role: auth.Role(*role), OrgID: *orgID, MemberID: *memberID})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, id)
	return nil
}

// parseTTL reads 90d, 12h, 30m.
func parseTTL(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 {
			return 0, usageError{"bad --expires " + s}
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, usageError{"bad --expires " + s}
	}
	return d, nil
}

func cmdToken(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"want: token create --username U [--expires 90d]"}
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	c := addCommon(fs)
	username := fs.String("username", "", "whose token")
	expires := fs.String("expires", "90d", "validity, e.g. 90d or 12h")
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	if *username == "" {
		return usageError{"need --username"}
	}
	ttl, err := parseTTL(*expires)
	if err != nil {
		return err
	}
	a, err := c.open(ctx, keyMustExist)
	if err != nil {
		return err
	}
	defer a.close()
	tok, err := a.auth.CreateToken(cliContext(ctx), *username, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func cmdAudit(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "checkpoint") {
		return usageError{"want: audit verify [--against FILE] | audit checkpoint [--out FILE]"}
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	c := addCommon(fs)
	against := fs.String("against", "", "a checkpoint note kept off the server (verify)")
	out := fs.String("out", "", "write the checkpoint note to this file (checkpoint)")
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	a, err := c.open(ctx, keyMustExist)
	if err != nil {
		return err
	}
	defer a.close()
	if args[0] == "checkpoint" {
		cp, err := a.trail.Checkpoint(cliContext(ctx))
		if err != nil {
			return err
		}
		if *out != "" {
			return os.WriteFile(*out, []byte(cp.Note), 0o644)
		}
		fmt.Fprint(stdout, cp.Note)
		return nil
	}
	var rep audit.Report
	if *against != "" {
		note, err := os.ReadFile(*against)
		if err != nil {
			return err
		}
		rep, err = a.trail.VerifyAgainst(ctx, note)
		if err != nil {
			return err
		}
	} else if rep, err = a.trail.Verify(ctx); err != nil {
		return err
	}
	if rep.Problem != nil {
		return fmt.Errorf("audit trail BROKEN at entry %d: %s (%d entries checked)", rep.Problem.Seq, rep.Problem.Reason, rep.Entries)
	}
	fmt.Fprintf(stdout, "audit trail intact: %d entries, %d signed checkpoints, head %s\n", rep.Entries, rep.Checkpoints, shortHead(rep.Head))
	return nil
}

func shortHead(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

func cmdBackup(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	c := addCommon(fs)
	to := fs.String("to", "", "file to write the copy to (must not exist)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *to == "" {
		return usageError{"need --to FILE"}
	}
	d, err := db.Open(ctx, c.dbURL, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if d.Engine() == db.Postgres {
		fmt.Fprintf(stdout, "PostgreSQL: take a consistent online copy with\n  pg_dump --format=custom --file=%q %q\n", *to, c.dbURL)
		return nil
	}
	if _, err := os.Stat(*to); err == nil {
		return usageError{*to + " exists; choose a new file"}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	start := time.Now()
	// VACUUM INTO writes a consistent snapshot while the server keeps running.
	if err := d.Exec(ctx, "VACUUM INTO ?", *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s in %s (keep the audit key file %s separately)\n", *to, time.Since(start).Round(time.Millisecond), audit.KeyFile)
	return nil
}
