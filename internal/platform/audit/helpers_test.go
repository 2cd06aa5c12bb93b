package audit

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/gm"
)

var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// testKey is generated once: SM2 key generation is cheap, but tests compare trails built apart.
var testKey = func() Key {
	k, err := GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}()

type env struct {
	d   *db.DB
	tr  *Trail
	clk *clock.Fake
	key Key
}

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	return &env{d: d, tr: New(d, testKey, clk), clk: clk, key: testKey}
}

// event i of a synthetic log: varied actors, objects, states and results.
func event(i int) Event {
	results := []string{"", ResultOK, ResultDenied, ResultFailed}
	var before any
	if i%3 == 1 {
		before = map[string]any{"name": fmt.Sprintf("支部%d", i-1), "n": i - 1}
	}
	return Event{
		Action:     []string{"org.create", "org.update", "auth.login", "auth.login_failed", "member.transfer"}[i%5],
		ObjectType: []string{"org", "org", "user", "user", "member"}[i%5],
		ObjectID:   int64(i % 7),
		Before:     before,
		After:      map[string]any{"name": fmt.Sprintf("支部%d", i), "n": i},
		Result:     results[i%4],
		Detail:     fmt.Sprintf("detail %d", i),
	}
}

func actor(i int) Actor {
	return Actor{UserID: int64(i%4 + 1), Username: fmt.Sprintf("user%d", i%4), Role: "组织员",
		ClientIP: fmt.Sprintf("10.0.0.%d", i%250), RequestID: fmt.Sprintf("req-%d", i)}
}

// fill appends n entries, perTx to a write transaction, moving the clock a second per entry.
func (e *env) fill(t testing.TB, n, perTx int) {
	t.Helper()
	var base int64
	if err := e.d.QueryRow(context.Background(), "SELECT COALESCE(MAX(seq), 0) FROM audit_log").Scan(&base); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += perTx {
		err := e.d.Write(context.Background(), func(tx *db.Tx) error {
			for j := i; j < min(i+perTx, n); j++ {
				k := int(base) + j
				e.clk.Advance(time.Second)
				ctx := WithActor(context.Background(), actor(k))
				if err := e.tr.append(ctx, tx, event(k)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if err := e.d.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dropGuards removes the append-only triggers, as an attacker with the database file (or the owner's
// role on PostgreSQL) would.
func (e *env) dropGuards(t testing.TB) {
	t.Helper()
	if e.d.Engine() == db.Postgres {
		e.exec(t, "DROP TRIGGER audit_log_no_update ON audit_log")
		e.exec(t, "DROP TRIGGER audit_log_no_truncate ON audit_log")
		return
	}
	e.exec(t, "DROP TRIGGER audit_log_no_update")
	e.exec(t, "DROP TRIGGER audit_log_no_delete")
}

func (e *env) verify(t testing.TB) Report {
	t.Helper()
	r, err := e.tr.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) count(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// row is every column of an audit_log row.
type row struct {
	rec       record
	hash, mac string
}

func (e *env) row(t testing.TB, seq int64) row {
	t.Helper()
	var (
		r  row
		tx [nText]string
	)
	err := e.d.QueryRow(context.Background(), "SELECT "+scanCols+" FROM audit_log WHERE seq = ?", seq).Scan(
		&r.rec.seq, &r.rec.at, &r.rec.actorID, &tx[0], &tx[1], &tx[2], &tx[3], &tx[4], &tx[5], &tx[6], &tx[7],
		&tx[8], &tx[9], &tx[10], &r.hash, &r.mac)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tx {
		r.rec.text[i] = []byte(tx[i])
	}
	return r
}

// put writes every column of r at seq (which must exist), guards dropped.
func (e *env) put(t testing.TB, seq int64, r row) {
	t.Helper()
	args := []any{r.rec.at, r.rec.actorID}
	for _, s := range r.rec.text {
		args = append(args, string(s))
	}
	args = append(args, r.hash, r.mac, seq)
	e.exec(t, `UPDATE audit_log SET at = ?, actor_id = ?, actor_name = ?, actor_role = ?, client_ip = ?,
		request_id = ?, action = ?, object_type = ?, object_id = ?, before_digest = ?, after_digest = ?,
		result = ?, detail = ?, entry_hash = ?, chain = ? WHERE seq = ?`, args...)
}

func (e *env) insert(t testing.TB, r row) {
	t.Helper()
	args := []any{r.rec.seq, r.rec.at, r.rec.actorID}
	for _, s := range r.rec.text {
		args = append(args, string(s))
	}
	args = append(args, r.hash, r.mac)
	e.exec(t, `INSERT INTO audit_log (`+scanCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
}

func hashOf(r *record) string {
	var enc encoder
	return hex.EncodeToString(enc.entryHash(r))
}

// rechain recomputes entry_hash and chain from seq from to the end with key k: what an insider holding
// the key file can do after editing rows.
func (e *env) rechain(t testing.TB, k Key, from int64) {
	t.Helper()
	prev := genesis
	if from > 1 {
		p, err := hex.DecodeString(e.row(t, from-1).mac)
		if err != nil {
			t.Fatal(err)
		}
		prev = p
	}
	last := e.count(t, "SELECT MAX(seq) FROM audit_log")
	m := gm.Default.NewMAC(k.MAC)
	var enc encoder
	for s := from; s <= last; s++ {
		r := e.row(t, s)
		h := enc.entryHash(&r.rec)
		ch := chainNext(m, prev, h, nil)
		r.hash, r.mac = hex.EncodeToString(h), hex.EncodeToString(ch)
		e.put(t, s, r)
		prev = ch
	}
}

// bulk appends n synthetic entries fast, with multi-row INSERTs of rows chained here, for building large
// logs to verify. The rows are what Append would have written for the same events.
func (e *env) bulk(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	var (
		seq, at int64
		chain   string
	)
	err := e.d.QueryRow(ctx, "SELECT seq, at, chain FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &at, &chain)
	prev := genesis
	if err == nil {
		prev, _ = hex.DecodeString(chain)
	}
	m := gm.Default.NewMAC(e.key.MAC)
	var enc encoder
	const perStmt = 400
	for done := 0; done < n; {
		k := min(perStmt, n-done)
		q := "INSERT INTO audit_log (" + scanCols + ") VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", k), ", ")
		args := make([]any, 0, 16*k)
		for i := 0; i < k; i++ {
			seq++
			e.clk.Advance(time.Millisecond)
			r, err := e.tr.prepare(WithActor(ctx, actor(int(seq))), event(int(seq)))
			if err != nil {
				t.Fatal(err)
			}
			r.seq = seq
			h := enc.entryHash(&r)
			ch := chainNext(m, prev, h, nil)
			prev = ch
			args = append(args, r.seq, r.at, r.actorID)
			for _, s := range r.text {
				args = append(args, string(s))
			}
			args = append(args, hex.EncodeToString(h), hex.EncodeToString(ch))
		}
		e.exec(t, q, args...)
		done += k
	}
}
