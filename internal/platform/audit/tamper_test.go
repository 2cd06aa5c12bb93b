package audit

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/gm"
)

const logSize = 50

var otherHex = hex.EncodeToString(gm.Default.Hash([]byte("forged")))

// AL-02, AL-03: an attacker with the database (guards dropped, no key) edits, deletes, inserts or
// reorders rows; Verify names exactly the first bad seq.
func TestAL02_AL03_TamperingIsLocated(t *testing.T) {
	type tc struct {
		name       string
		checkpoint bool // take a checkpoint of the whole log before tampering
		tamper     func(t *testing.T, e *env)
		want       int64
		reason     string // a word the reason must contain
	}
	var cases []tc
	// AL-02: every column of a middle row, one at a time.
	for _, c := range []struct{ col, set string }{
		{"seq", "seq = 1000"},
		{"at", "at = at + 1"},
		{"actor_id", "actor_id = actor_id + 1"},
		{"actor_name", "actor_name = 'mallory'"},
		{"actor_role", "actor_role = actor_role || 'x'"},
		{"client_ip", "client_ip = '10.9.9.9'"},
		{"request_id", "request_id = request_id || 'x'"},
		{"action", "action = 'org.delete'"},
		{"object_type", "object_type = object_type || 'x'"},
		{"object_id", "object_id = '999'"},
		{"before_digest", "before_digest = '" + otherHex + "'"},
		{"after_digest", "after_digest = '" + otherHex + "'"},
		{"result", "result = 'denied'"},
		{"detail", "detail = ''"},
		{"entry_hash", "entry_hash = '" + otherHex + "'"},
		{"chain", "chain = '" + otherHex + "'"},
		{"entry_hash case", "entry_hash = upper(entry_hash)"},
	} {
		cases = append(cases, tc{name: "edit " + c.col, tamper: func(t *testing.T, e *env) {
			e.exec(t, "UPDATE audit_log SET "+c.set+" WHERE seq = 25")
		}, want: 25})
	}
	cases = append(cases,
		tc{name: "edit and recompute entry_hash", tamper: func(t *testing.T, e *env) {
			r := e.row(t, 25)
			r.rec.text[fResult] = []byte("ok")
			r.rec.text[fDetail] = []byte("nothing happened")
			r.hash = hashOf(&r.rec)
			e.put(t, 25, r)
		}, want: 25, reason: "chain"},
		tc{name: "delete middle row", tamper: func(t *testing.T, e *env) {
			e.exec(t, "DELETE FROM audit_log WHERE seq = 25")
		}, want: 25, reason: "missing"},
		tc{name: "delete middle row and renumber the rest", tamper: func(t *testing.T, e *env) {
			e.exec(t, "DELETE FROM audit_log WHERE seq = 25")
			e.exec(t, "UPDATE audit_log SET seq = seq + 1000000 WHERE seq > 25")
			e.exec(t, "UPDATE audit_log SET seq = seq - 1000001 WHERE seq > 1000000")
		}, want: 25},
		tc{name: "delete first row", tamper: func(t *testing.T, e *env) {
			e.exec(t, "DELETE FROM audit_log WHERE seq = 1")
		}, want: 1, reason: "missing"},
		tc{name: "delete last row under a checkpoint", checkpoint: true, tamper: func(t *testing.T, e *env) {
			e.exec(t, "DELETE FROM audit_log WHERE seq = ?", logSize)
		}, want: logSize, reason: "covers"},
		tc{name: "delete last rows under a checkpoint", checkpoint: true, tamper: func(t *testing.T, e *env) {
			e.exec(t, "DELETE FROM audit_log WHERE seq > 40")
		}, want: 41, reason: "covers"},
		tc{name: "forged row appended", tamper: func(t *testing.T, e *env) {
			r := e.row(t, logSize)
			r.rec.seq++
			r.rec.text[fAction] = []byte("auth.login")
			r.hash, r.mac = hashOf(&r.rec), otherHex
			e.insert(t, r)
		}, want: logSize + 1, reason: "chain"},
		tc{name: "forged row inserted in the middle", tamper: func(t *testing.T, e *env) {
			e.exec(t, "UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= 25")
			e.exec(t, "UPDATE audit_log SET seq = seq - 999999 WHERE seq >= 1000000")
			r := e.row(t, 24)
			r.rec.seq = 25
			r.rec.text[fAction] = []byte("member.delete")
			r.hash, r.mac = hashOf(&r.rec), otherHex
			e.insert(t, r)
		}, want: 25, reason: "chain"},
		tc{name: "forged row with seq 0", tamper: func(t *testing.T, e *env) {
			r := e.row(t, 1)
			r.rec.seq = 0
			r.hash = hashOf(&r.rec)
			e.insert(t, r)
		}, want: 0, reason: "unexpected"},
		tc{name: "two rows swapped", tamper: func(t *testing.T, e *env) {
			a, b := e.row(t, 20), e.row(t, 30)
			e.put(t, 20, b)
			e.put(t, 30, a)
		}, want: 20},
		tc{name: "two rows swapped, hashes recomputed", tamper: func(t *testing.T, e *env) {
			a, b := e.row(t, 20), e.row(t, 30)
			a.rec.seq, b.rec.seq = 30, 20
			a.hash, b.hash = hashOf(&a.rec), hashOf(&b.rec)
			e.put(t, 20, b)
			e.put(t, 30, a)
		}, want: 20, reason: "chain"},
		tc{name: "adjacent rows swapped, hashes recomputed", tamper: func(t *testing.T, e *env) {
			a, b := e.row(t, 25), e.row(t, 26)
			a.rec.seq, b.rec.seq = 26, 25
			a.hash, b.hash = hashOf(&a.rec), hashOf(&b.rec)
			e.put(t, 25, b)
			e.put(t, 26, a)
		}, want: 25, reason: "chain"},
		// With the key (an insider), edits can be rechained; what is left to catch them is the time
		// order and the signed checkpoints.
		tc{name: "backdated entry rechained with the key", tamper: func(t *testing.T, e *env) {
			r := e.row(t, 25)
			r.rec.at -= 3_600_000
			e.put(t, 25, r)
			e.rechain(t, e.key, 25)
		}, want: 25, reason: "backwards"},
		tc{name: "entry rechained with the key under a checkpoint", checkpoint: true, tamper: func(t *testing.T, e *env) {
			r := e.row(t, 25)
			r.rec.text[fDetail] = []byte("rewritten")
			e.put(t, 25, r)
			e.rechain(t, e.key, 25)
		}, want: logSize, reason: "checkpoint"},
		tc{name: "stored checkpoint note edited", checkpoint: true, tamper: func(t *testing.T, e *env) {
			e.exec(t, "UPDATE audit_checkpoints SET note = replace(note, ?, ?)", "\n50\n", "\n49\n")
		}, want: logSize, reason: "checkpoint"},
		tc{name: "stored checkpoint head column edited", checkpoint: true, tamper: func(t *testing.T, e *env) {
			e.exec(t, "UPDATE audit_checkpoints SET chain_head = ?", otherHex)
		}, want: logSize, reason: "checkpoint"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d)
				e.fill(t, logSize, 7)
				if c.checkpoint {
					if _, err := e.tr.Checkpoint(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				if r := e.verify(t); r.Problem != nil || r.Entries != logSize {
					t.Fatalf("before tampering: %+v", r)
				}
				e.dropGuards(t)
				c.tamper(t, e)
				r := e.verify(t)
				if r.Problem == nil {
					t.Fatalf("tampering not detected: %+v", r)
				}
				t.Logf("seq %d: %s", r.Problem.Seq, r.Problem.Reason)
				if r.Problem.Seq != c.want || !strings.Contains(r.Problem.Reason, c.reason) {
					t.Fatalf("problem at %d (%s), want %d (%q)", r.Problem.Seq, r.Problem.Reason, c.want, c.reason)
				}
				// No new checkpoint may be signed over a broken log.
				before := e.count(t, "SELECT COUNT(*) FROM audit_checkpoints")
				_, err := e.tr.Checkpoint(context.Background())
				if after := e.count(t, "SELECT COUNT(*) FROM audit_checkpoints"); after != before {
					t.Fatalf("checkpoint signed over a tampered log (err %v)", err)
				}
			})
		})
	}
}

// AL-04: truncating the tail beyond the last stored checkpoint (and deleting the checkpoints that would
// show it) passes Verify, but not VerifyAgainst with a note copied off the server earlier.
func TestAL04_TailTruncation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.fill(t, 40, 10)
		cp1, err := e.tr.Checkpoint(ctx)
		if err != nil || cp1.Size != 40 {
			t.Fatalf("checkpoint 1: %+v %v", cp1, err)
		}
		e.fill(t, 8, 8)
		cp2, err := e.tr.Checkpoint(ctx)
		if err != nil || cp2.Size != 48 {
			t.Fatalf("checkpoint 2: %+v %v", cp2, err)
		}
		e.fill(t, 2, 2)
		for _, note := range []string{cp1.Note, cp2.Note} {
			if r, err := e.tr.VerifyAgainst(ctx, []byte(note)); err != nil || r.Problem != nil || r.Entries != 50 || r.Checkpoints != 2 {
				t.Fatalf("before: %+v %v", r, err)
			}
		}

		e.dropGuards(t)
		e.exec(t, "DELETE FROM audit_checkpoints WHERE size = 48")
		e.exec(t, "DELETE FROM audit_log WHERE seq > 45")

		if r := e.verify(t); r.Problem != nil || r.Entries != 45 {
			t.Fatalf("truncation beyond the stored checkpoints is invisible to Verify alone; got %+v", r)
		}
		r, err := e.tr.VerifyAgainst(ctx, []byte(cp2.Note))
		if err != nil {
			t.Fatal(err)
		}
		if r.Problem == nil || r.Problem.Seq != 46 || !strings.Contains(r.Problem.Reason, "external") {
			t.Fatalf("against the off-box note: %+v", r.Problem)
		}
		if r, _ := e.tr.VerifyAgainst(ctx, []byte(cp1.Note)); r.Problem != nil {
			t.Fatalf("an older note still holds: %+v", r.Problem)
		}
	})
}

// AL-04: a log rebuilt from scratch, with another key or with the right one, is caught by a note copied
// off the server earlier.
func TestAL04_WholeLogRewrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.fill(t, logSize, 10)
		cp, err := e.tr.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}

		e.dropGuards(t)
		t.Run("different key", func(t *testing.T) {
			e.exec(t, "DELETE FROM audit_log")
			e.exec(t, "DELETE FROM audit_checkpoints")
			k2, err := GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			forger := &env{d: d, tr: New(d, k2, e.clk), clk: e.clk, key: k2}
			forger.fill(t, logSize, 10)
			if _, err := forger.tr.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			if r := forger.verify(t); r.Problem != nil {
				t.Fatalf("the forged log is self-consistent under its own key: %+v", r.Problem)
			}
			// Our key: the chain is wrong from the first entry.
			if r := e.verify(t); r.Problem == nil || r.Problem.Seq != 1 {
				t.Fatalf("verify with the real key: %+v", r.Problem)
			}
			// The forger's key swapped in for ours: the off-box note does not verify under it.
			r, err := forger.tr.VerifyAgainst(ctx, []byte(cp.Note))
			if err != nil {
				t.Fatal(err)
			}
			if r.Problem == nil || !strings.Contains(r.Problem.Reason, "signed by key") {
				t.Fatalf("against the off-box note with the forger's key: %+v", r.Problem)
			}
		})

		t.Run("same key", func(t *testing.T) {
			e.exec(t, "DELETE FROM audit_log")
			e.exec(t, "DELETE FROM audit_checkpoints")
			ctx := WithActor(ctx, Actor{Username: "insider"})
			for i := 0; i < logSize; i++ {
				if err := e.tr.Record(ctx, Event{Action: "org.update", ObjectType: "org", ObjectID: i}); err != nil {
					t.Fatal(err)
				}
			}
			if r := e.verify(t); r.Problem != nil {
				t.Fatalf("rebuilt with the key, the log verifies on its own: %+v", r.Problem)
			}
			r, err := e.tr.VerifyAgainst(ctx, []byte(cp.Note))
			if err != nil {
				t.Fatal(err)
			}
			if r.Problem == nil || r.Problem.Seq != logSize || !strings.Contains(r.Problem.Reason, "external") {
				t.Fatalf("against the off-box note: %+v", r.Problem)
			}
		})
	})
}
