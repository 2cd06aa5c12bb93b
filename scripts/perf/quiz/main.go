// Command quiz measures 每日一题 answer submissions for docs/performance.md: 2,000 distinct members each
// POST /api/v1/daily-question/answer once per round over loopback, with N keep-alive connections,
// beside a bare net/http handler served by the same binary and driven by the same client in the same
// run (rounds interleaved). The platform is wired as cmd/dangjian wires it, on the database given (SQLite
// as shipped: WAL, synchronous=FULL, group commit; or PostgreSQL with synchronous_commit on), with the
// full demo city. Between rounds the platform's clock moves one day on, so every round is a new day and
// every submission is a member's first of the day (the per-account limit of 5 answers per minute never
// applies: each account answers once a round). Every answer is audited in its own transaction.
//
//	go run ./scripts/perf/quiz -db sqlite:/tmp/q.db -conns 64 -rounds 5
//	go run ./scripts/perf/quiz -db "$(scripts/ensure-postgres)" -conns 64 -rounds 5
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/gm"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/web"
	"github.com/dangjian/dangjian/internal/wire"
)

func main() {
	dbURL := flag.String("db", "", "database URL (sqlite:PATH or postgres://…); required, and must be empty")
	conns := flag.Int("conns", 64, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 5, "rounds; each round every member answers once, and the bare handler takes as many requests")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the rounds to this file")
	flag.Parse()
	if *dbURL == "" {
		log.Fatal("-db is required")
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "perf"})
	d, err := db.Open(ctx, *dbURL, db.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	key, _ := audit.GenerateKey()
	dk, _ := pii.GenerateKey()
	clk := clock.NewFake(time.Now())
	p := wire.New(d, key, dk, clk)
	t0 := time.Now()
	if _, err := demo.Load(ctx, p, demo.Full, 1, clock.Today(clk)); err != nil {
		log.Fatal(err)
	}
	tokens, err := memberTokens(ctx, d, clk)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("demo city and %d member tokens in %s", len(tokens), time.Since(t0).Round(time.Millisecond))

	srv, err := web.New(web.Deps{Platform: p, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	platURL := serve(srv.Handler())
	hello := []byte(`{"correct":true}`)
	bareURL := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(hello)
	}))
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * *conns, MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns,
		IdleConnTimeout: time.Minute}, Timeout: 30 * time.Second}

	run(client, bareURL+"/answer", nil, []byte("{}"), 4**conns, *conns) // open the connections before timing
	fmt.Printf("engine %s, %d members, %d connections, %d rounds, GOMAXPROCS from the machine\n\n", d.Engine(), len(tokens), *conns, *rounds)
	fmt.Println("| round | handler | requests | req/s | p50 ms | p99 ms | non-2xx |")
	fmt.Println("|---|---|---|---|---|---|---|")
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var bareRates, quizRates, quizP50, quizP99, bareP99, ratios []float64
	for round := 1; round <= *rounds; round++ {
		if round > 1 {
			clk.Advance(24 * time.Hour)
		}
		qid, answer := todays(client, platURL, tokens[0])
		body, _ := json.Marshal(map[string]any{"question_id": qid, "answer": answer})
		b := run(client, bareURL+"/answer", nil, body, len(tokens), *conns)
		q := run(client, platURL+"/api/v1/daily-question/answer", tokens, body, len(tokens), *conns)
		fmt.Printf("| %d | bare net/http | %d | %.0f | %.2f | %.2f | %d |\n", round, b.n, b.rate, b.p50, b.p99, b.bad)
		fmt.Printf("| %d | answer (platform) | %d | %.0f | %.2f | %.2f | %d |\n", round, q.n, q.rate, q.p50, q.p99, q.bad)
		bareRates, quizRates = append(bareRates, b.rate), append(quizRates, q.rate)
		ratios = append(ratios, 100*q.rate/b.rate)
		quizP50, quizP99, bareP99 = append(quizP50, q.p50), append(quizP99, q.p99), append(bareP99, b.p99)
	}
	var answers int
	_ = d.QueryRow(ctx, "SELECT COUNT(*) FROM quiz_answers WHERE on_time").Scan(&answers)
	commits, txs := d.Stats()
	fmt.Printf("\nmedian over rounds: bare %.0f req/s (p99 %.2f ms); answer %.0f req/s, p50 %.2f ms, p99 %.2f ms; ratio %.1f %%\n",
		median(bareRates), median(bareP99), median(quizRates), median(quizP50), median(quizP99), 100*median(quizRates)/median(bareRates))
	fmt.Printf("median of the per-round ratios: %.1f %% (rounds: %.1f)\n", median(ratios), ratios)
	fmt.Printf("answers stored on time (including the demo's): %d; write transactions %d in %d commits\n", answers, txs, commits)
}

// memberTokens gives every member an account and a personal access token. Accounts are inserted with
// an unusable password hash (argon2id for 2,000 accounts would take minutes and is not measured here).
func memberTokens(ctx context.Context, d *db.DB, clk clock.Clock) ([]string, error) {
	var out []string
	now := clk.Now()
	err := d.Write(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query("SELECT id, org_id FROM members ORDER BY id")
		if err != nil {
			return err
		}
		type m struct{ id, org int64 }
		var ms []m
		for rows.Next() {
			var x m
			if err := rows.Scan(&x.id, &x.org); err != nil {
				rows.Close()
				return err
			}
			ms = append(ms, x)
		}
		rows.Close()
		for _, x := range ms {
			uid, err := tx.Insert(`INSERT INTO users(username, password_hash, role, org_id, member_id, password_changed_at, created_at)
				VALUES (?, '!', 'member', ?, ?, ?, ?)`, fmt.Sprintf("perf_m%d", x.id), x.org, x.id, db.Millis(now), db.Millis(now))
			if err != nil {
				return err
			}
			secret := "djp_" + gm.RandomToken(20)
			if _, err := tx.Exec("INSERT INTO tokens(user_id, hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
				uid, gm.HashHex(secret), db.Millis(now), db.Millis(now.Add(300*24*time.Hour))); err != nil {
				return err
			}
			out = append(out, secret)
		}
		return nil
	})
	return out, err
}

func serve(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return "http://" + ln.Addr().String()
}

// todays reads the day's question as one member and picks an answer of the right shape.
func todays(c *http.Client, base, token string) (int64, any) {
	req, _ := http.NewRequest("GET", base+"/api/v1/daily-question", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	var dq struct {
		Question *struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"question"`
	}
	if err := json.NewDecoder(res.Body).Decode(&dq); err != nil || dq.Question == nil {
		log.Fatalf("no question today (%d): %v", res.StatusCode, err)
	}
	if dq.Question.Kind == "fill" {
		return dq.Question.ID, "月"
	}
	return dq.Question.ID, []string{"A"}
}

type result struct {
	n, bad         int
	rate, p50, p99 float64
}

// run sends n POSTs over conns connections, one per token when tokens is given, and times each.
func run(c *http.Client, url string, tokens []string, body []byte, n, conns int) result {
	lat := make([]time.Duration, n)
	bad := make([]int, conns)
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range next {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if tokens != nil {
					req.Header.Set("Authorization", "Bearer "+tokens[i])
				}
				t := time.Now()
				res, err := c.Do(req)
				if err != nil {
					bad[w]++
					lat[i] = time.Since(t)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat[i] = time.Since(t)
				if res.StatusCode/100 != 2 {
					bad[w]++
				}
			}
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	r := result{n: n, rate: float64(n) / el.Seconds(), p50: ms(lat[n/2]), p99: ms(lat[n*99/100])}
	for _, b := range bad {
		r.bad += b
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
