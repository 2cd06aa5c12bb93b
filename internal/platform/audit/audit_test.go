package audit

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/gm"
)

func setting(tx *db.Tx, k string) error {
	_, err := tx.Exec("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)", k, "v", 1)
	return err
}

// The entry commits or rolls back with the business change, and a failing Append fails the change.
func TestAppendSharesTheTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := WithActor(context.Background(), Actor{UserID: 7, Username: "zhang", Role: "组织员", ClientIP: "10.1.2.3", RequestID: "r1"})
		boom := errors.New("boom")
		cases := []struct {
			name  string
			fn    func(tx *db.Tx) error
			want  error // nil: committed
			entry bool
		}{
			{"commit", func(tx *db.Tx) error {
				if err := setting(tx, "a"); err != nil {
					return err
				}
				return e.tr.Append(tx, Event{Action: "setting.create", ObjectType: "setting", ObjectID: "a", After: map[string]string{"v": "v"}})
			}, nil, true},
			{"business rollback", func(tx *db.Tx) error {
				if err := setting(tx, "b"); err != nil {
					return err
				}
				if err := e.tr.Append(tx, Event{Action: "setting.create", ObjectType: "setting", ObjectID: "b"}); err != nil {
					return err
				}
				return boom
			}, boom, false},
			{"append fails: no action", func(tx *db.Tx) error {
				if err := setting(tx, "c"); err != nil {
					return err
				}
				return e.tr.Append(tx, Event{ObjectType: "setting", ObjectID: "c"})
			}, errInvalidEvent, false},
			{"append fails: unknown result", func(tx *db.Tx) error {
				if err := setting(tx, "d"); err != nil {
					return err
				}
				return e.tr.Append(tx, Event{Action: "setting.create", Result: "maybe"})
			}, errInvalidEvent, false},
			{"append fails: state not marshallable", func(tx *db.Tx) error {
				if err := setting(tx, "e"); err != nil {
					return err
				}
				return e.tr.Append(tx, Event{Action: "setting.create", After: make(chan int)})
			}, nil, false},
		}
		var seq int64
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := d.Write(ctx, c.fn)
				switch {
				case c.entry && err != nil:
					t.Fatalf("write failed: %v", err)
				case !c.entry && err == nil:
					t.Fatal("write committed although it should have failed")
				case c.want != nil && !errors.Is(err, c.want):
					t.Fatalf("want %v, got %v", c.want, err)
				}
				if c.entry {
					seq++
				}
				if n := e.count(t, "SELECT COUNT(*) FROM audit_log"); n != seq {
					t.Fatalf("audit rows = %d, want %d", n, seq)
				}
				if n := e.count(t, "SELECT COUNT(*) FROM settings"); n != seq {
					t.Fatalf("business rows = %d, want %d", n, seq)
				}
			})
		}
		got := e.row(t, 1)
		want := map[int]string{fActorName: "zhang", fActorRole: "组织员", fClientIP: "10.1.2.3", fRequestID: "r1",
			fAction: "setting.create", fObjectType: "setting", fObjectID: "a", fResult: "ok", fBefore: "",
			fAfter: gm.MACHex(deriveDigestKey(e.key.MAC), []byte(`{"v":"v"}`))}
		for f, w := range want {
			if string(got.rec.text[f]) != w {
				t.Errorf("field %d = %q, want %q", f, got.rec.text[f], w)
			}
		}
		if got.rec.actorID != 7 || got.rec.at != t0.UnixMilli() {
			t.Errorf("actor_id %d at %d", got.rec.actorID, got.rec.at)
		}
		if r := e.verify(t); r.Problem != nil || r.Entries != 1 {
			t.Fatalf("verify: %+v", r)
		}
	})
}

func TestRecordAndSequence(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := WithActor(context.Background(), Actor{Username: "li"})
		for i := 0; i < 3; i++ {
			if err := e.tr.Record(ctx, Event{Action: "auth.login_failed", ObjectType: "user", ObjectID: "li", Result: ResultFailed}); err != nil {
				t.Fatal(err)
			}
		}
		if n := e.count(t, "SELECT COUNT(*) FROM audit_log WHERE seq BETWEEN 1 AND 3 AND result = 'failed' AND actor_name = 'li'"); n != 3 {
			t.Fatalf("rows: %d", n)
		}
		r := e.verify(t)
		if r.Problem != nil || r.Entries != 3 || r.Head != e.row(t, 3).mac {
			t.Fatalf("verify: %+v", r)
		}
	})
}

// Odd input is stored so that both engines hash the same bytes: invalid UTF-8 and NUL are replaced,
// long values cut at a character boundary.
func TestAppendCleansFields(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		long := strings.Repeat("党", 400) // 1200 bytes
		ctx := WithActor(context.Background(), Actor{Username: "bad\xff\x00name" + long})
		if err := e.tr.Record(ctx, Event{Action: "auth.login_failed", Detail: long + long}); err != nil {
			t.Fatal(err)
		}
		r := e.row(t, 1)
		name := string(r.rec.text[fActorName])
		if !strings.HasPrefix(name, "bad\uFFFD\uFFFDname") || len(name) > maxField {
			t.Fatalf("actor_name %q (%d bytes)", name[:20], len(name))
		}
		if det := string(r.rec.text[fDetail]); len(det) > maxDetail || !strings.HasSuffix(det, "党") {
			t.Fatalf("detail not cut at a character: %d bytes", len(det))
		}
		if rep := e.verify(t); rep.Problem != nil {
			t.Fatal(rep.Problem)
		}
	})
}

// AL-10: a clock that goes back does not make the log fail verification; the time is held.
func TestClockRollbackHoldsTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.fill(t, 3, 1)
		e.clk.Advance(-time.Hour)
		e.fill(t, 2, 1)
		if a, b := e.row(t, 3).rec.at, e.row(t, 4).rec.at; b != a {
			t.Fatalf("entry 4 at %d, entry 3 at %d", b, a)
		}
		if r := e.verify(t); r.Problem != nil {
			t.Fatal(r.Problem)
		}
	})
}

// AL-01: the database refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL) of audit_log, and the error
// comes back as the platform's Forbidden.
func TestAL01_AppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.fill(t, 5, 5)
		stmts := []string{
			"UPDATE audit_log SET detail = 'x' WHERE seq = 3",
			"UPDATE audit_log SET seq = seq + 100",
			"DELETE FROM audit_log WHERE seq = 5",
			"DELETE FROM audit_log",
		}
		if d.Engine() == db.Postgres {
			stmts = append(stmts, "TRUNCATE audit_log")
		}
		for _, q := range stmts {
			err := d.Write(context.Background(), func(tx *db.Tx) error { _, err := tx.Exec(q); return err })
			if !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s: want forbidden, got %v", q, err)
			}
		}
		if r := e.verify(t); r.Problem != nil || r.Entries != 5 {
			t.Fatalf("verify: %+v", r)
		}
	})
}

// AL-07: concurrent writers each appending in their own transaction get contiguous seqs and a valid chain.
func TestAL07_ConcurrentAppends(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const writers, each = 16, 50
		var wg sync.WaitGroup
		errc := make(chan error, writers*each)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := WithActor(context.Background(), actor(w))
				for i := 0; i < each; i++ {
					errc <- d.Write(ctx, func(tx *db.Tx) error {
						if i%10 == 0 { // some transactions also change business data
							if err := setting(tx, hex.EncodeToString([]byte{byte(w), byte(i)})); err != nil {
								return err
							}
						}
						return e.tr.Append(tx, event(w*each+i))
					})
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, lo, hi := e.count(t, "SELECT COUNT(*) FROM audit_log"), e.count(t, "SELECT MIN(seq) FROM audit_log"),
			e.count(t, "SELECT MAX(seq) FROM audit_log"); n != writers*each || lo != 1 || hi != writers*each {
			t.Fatalf("count %d, seq %d..%d", n, lo, hi)
		}
		if r := e.verify(t); r.Problem != nil || r.Entries != writers*each {
			t.Fatalf("verify: %+v", r)
		}
	})
}

func TestList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.fill(t, 40, 10)
		ctx := context.Background()
		cases := []struct {
			f     Filter
			total int
			first int64 // seq of the first (newest) entry returned
			n     int
		}{
			{Filter{}, 40, 40, 40},
			{Filter{Limit: 5}, 40, 40, 5},
			{Filter{Limit: 5, Offset: 38}, 40, 2, 2},
			{Filter{Action: "auth."}, 16, 39, 16},
			{Filter{Action: "auth.login"}, 16, 39, 16}, // a prefix: login and login_failed
			{Filter{Action: "auth.login_"}, 8, 39, 8},  // '_' is not a wildcard
			{Filter{Action: "auth%"}, 0, 0, 0},         // nor is '%'
			{Filter{ObjectType: "org"}, 16, 37, 16},
			{Filter{ObjectType: "org", ObjectID: "3"}, 2, 32, 2},
			{Filter{Actor: "user1"}, 10, 38, 10},
			{Filter{Actor: "user1", Action: "org.update"}, 2, 22, 2},
			{Filter{Actor: "nobody"}, 0, 0, 0},
		}
		for _, c := range cases {
			got, total, err := e.tr.List(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if total != c.total || len(got) != c.n || (c.n > 0 && got[0].Seq != c.first) {
				first := int64(0)
				if len(got) > 0 {
					first = got[0].Seq
				}
				t.Errorf("%+v: total %d n %d first %d; want %d %d %d", c.f, total, len(got), first, c.total, c.n, c.first)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Seq >= got[i-1].Seq {
					t.Fatalf("%+v: not newest first", c.f)
				}
			}
		}
		got, _, _ := e.tr.List(ctx, Filter{Limit: 1, Offset: 39})
		if en := got[0]; en.Seq != 1 || en.ActorName != "user0" || en.Action != "org.create" || en.ObjectID != "0" ||
			en.Result != "ok" || !en.At.Equal(t0.Add(time.Second)) || en.AfterDigest == "" || en.BeforeDigest != "" {
			t.Fatalf("entry 1: %+v", en)
		}
	})
}

// The canonical encoding is pinned: a change to it must be a new version, not a silent edit.
func TestEntryEncodingV1(t *testing.T) {
	r := record{seq: 1, at: 1740816000000, actorID: 7}
	for i := range r.text {
		r.text[i] = []byte{byte('a' + i)}
	}
	const golden = "9685d2fe89a6a767eaac11da1cafc9ca4e47d461c9317c9e3af8be79b8f7a581" // cross-checked with OpenSSL SM3
	if got := hashOf(&r); got != golden {
		t.Fatalf("v1 entry hash changed: %s, want %s", got, golden)
	}
	// Length prefixes keep field boundaries: moving a byte from one field to the next changes the hash.
	a, b := r, r
	a.text[0], a.text[1] = []byte("ab"), []byte("c")
	b.text[0], b.text[1] = []byte("a"), []byte("bc")
	if hashOf(&a) == hashOf(&b) {
		t.Fatal("field boundary not encoded")
	}
	// Every field counts.
	base := hashOf(&r)
	for i := range r.text {
		c := r
		c.text[i] = []byte("z")
		if hashOf(&c) == base {
			t.Fatalf("text field %d not hashed", i)
		}
	}
	for _, f := range []func(*record){func(c *record) { c.seq++ }, func(c *record) { c.at++ }, func(c *record) { c.actorID++ }} {
		c := r
		f(&c)
		if hashOf(&c) == base {
			t.Fatal("integer field not hashed")
		}
	}
}

// A digest of a small value cannot be found by hashing candidates: it is keyed.
func TestDigestsAreKeyed(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	d, err := e.tr.digest("13800001234")
	if err != nil {
		t.Fatal(err)
	}
	if d == gm.HashHex(`"13800001234"`) || d == "" {
		t.Fatal("digest is a plain hash of the value")
	}
	other, _ := GenerateKey()
	if d == New(e.d, other, e.clk).mustDigest("13800001234") {
		t.Fatal("digest does not depend on the key")
	}
}

func (t *Trail) mustDigest(v any) string { d, _ := t.digest(v); return d }
