package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// TestKill9KeepsEveryAcknowledgedWrite: the server is killed with SIGKILL in the middle of a burst of
// writes, ten times over. Every write that was answered 201 must be in the database afterwards, and the
// audit trail must verify. On SQLite this is synchronous=FULL with group commit doing its job.
func TestKill9KeepsEveryAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := buildBinary(t)
	eachURL(t, func(t *testing.T, url, keys string) {
		dbf := []string{"--db", url, "--key-dir", keys}
		code, out, stderr := cli(t, "Bright-sky-2026\n", append([]string{"setup", "--org-name", "示例工委", "--username", "admin", "--password-stdin"}, dbf...)...)
		if code != 0 {
			t.Fatalf("setup: %s", stderr)
		}
		root := strings.TrimSpace(out)
		_, tok, _ := cli(t, "", append([]string{"token", "create", "--username", "admin"}, dbf...)...)
		tok = strings.TrimSpace(tok)

		var acked []string
		for round := range 10 {
			acked = append(acked, burstAndKill(t, bin, dbf, root, tok, round)...)
		}
		if len(acked) < 10 {
			t.Fatalf("only %d writes acknowledged in 10 rounds: the burst did not run", len(acked))
		}
		d, err := db.Open(context.Background(), url, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		present := map[string]bool{}
		rows, err := d.Query(context.Background(), "SELECT name FROM orgs")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			rows.Scan(&n)
			present[n] = true
		}
		rows.Close()
		for _, n := range acked {
			if !present[n] {
				t.Errorf("acknowledged write lost: %s", n)
			}
		}
		code, out, stderr = cli(t, "", append([]string{"audit", "verify"}, dbf...)...)
		if code != 0 {
			t.Fatalf("trail after kill -9: %q %q", out, stderr)
		}
		t.Logf("%d acknowledged writes over 10 kills, all present; %s", len(acked), strings.TrimSpace(out))
	})
}

var servingRE = regexp.MustCompile(`serving on (http://[^/ ]+)/`)

func burstAndKill(t *testing.T, bin string, dbf []string, root, tok string, round int) []string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, dbf...)...)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("round %d: server did not start: %s", round, stderr.String())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	first := make(chan struct{})
	var firstOnce sync.Once
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 5 * time.Second}
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("崩溃测试-%d-%d-%d", round, g, i)
				body := fmt.Sprintf(`{"parent_id":%s,"kind":"committee","name":%q}`, root, name)
				req, _ := http.NewRequest("POST", base+"/api/v1/orgs", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				res, err := hc.Do(req)
				if err != nil {
					return // the server is gone
				}
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
					firstOnce.Do(func() { close(first) })
				}
			}
		}()
	}
	// Kill while writes are flowing: some time after the first acknowledgement, different each round.
	select {
	case <-first:
	case <-time.After(20 * time.Second):
		t.Errorf("round %d: no write acknowledged in 20 s", round)
	}
	time.Sleep(time.Duration(100+47*round) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	return acked
}

// SIGTERM shuts the server down gracefully: in-flight requests finish, a last audit checkpoint is
// signed, and the process exits 0.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary")
	}
	bin := buildBinary(t)
	url, keys := dbtest.SQLiteURL(t), t.TempDir()
	dbf := []string{"--db", url, "--key-dir", keys}
	if code, _, stderr := cli(t, "Bright-sky-2026\n", append([]string{"setup", "--org-name", "示例工委", "--username", "admin", "--password-stdin"}, dbf...)...); code != 0 {
		t.Fatal(stderr)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, dbf...)...)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			res, err := http.Get(m[1] + "/healthz")
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("healthz: %v", err)
			}
			res.Body.Close()
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if !strings.Contains(strings.Join(lines, "\n"), "shutting down") {
		t.Fatalf("no shutdown message: %q", lines)
	}
	d, err := db.Open(context.Background(), url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_checkpoints").Scan(&n); err != nil || n != 1 {
		t.Fatalf("checkpoints after shutdown: %d (%v), want 1", n, err)
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
)

// buildBinary builds the real dangjian binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dangjian-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "dangjian")
		buildOut, buildErr = exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build: %v\n%s", buildErr, buildOut)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}
