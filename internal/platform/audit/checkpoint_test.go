package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

func TestCheckpoint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		if cp, err := e.tr.Checkpoint(ctx); err != nil || cp.Size != 0 || cp.Note != "" {
			t.Fatalf("empty log: %+v %v", cp, err)
		}
		e.fill(t, 12, 5)
		cp, err := e.tr.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		head := e.row(t, 12).mac
		want := fmt.Sprintf("dangjian audit checkpoint v1\n12\n%s\n%s\n\n\u2014 dangjian-audit ", head, e.clk.Now().UTC().Format(time.RFC3339))
		if cp.Size != 12 || cp.Head != head || !strings.HasPrefix(cp.Note, want) || !strings.HasSuffix(cp.Note, "\n") {
			t.Fatalf("checkpoint %+v\nwant note prefix %q", cp, want)
		}
		parsed, err := e.tr.ParseNote([]byte(cp.Note))
		if err != nil || parsed.Size != cp.Size || parsed.Head != cp.Head || !parsed.At.Equal(cp.At) {
			t.Fatalf("parse: %+v %v", parsed, err)
		}
		// Nothing new: no second row, same checkpoint back.
		again, err := e.tr.Checkpoint(ctx)
		if err != nil || again.Note != cp.Note || e.count(t, "SELECT COUNT(*) FROM audit_checkpoints") != 1 {
			t.Fatalf("idempotent: %+v %v", again, err)
		}
		e.fill(t, 3, 3)
		cp2, err := e.tr.Checkpoint(ctx)
		if err != nil || cp2.Size != 15 || e.count(t, "SELECT COUNT(*) FROM audit_checkpoints") != 2 {
			t.Fatalf("second: %+v %v", cp2, err)
		}
		r := e.verify(t)
		if r.Problem != nil || r.Checkpoints != 2 || r.Entries != 15 || r.Head != cp2.Head {
			t.Fatalf("verify: %+v", r)
		}
		// The stored row is the note's content.
		var size, at int64
		var chainHead, note string
		if err := d.QueryRow(ctx, "SELECT size, chain_head, at, note FROM audit_checkpoints ORDER BY id DESC LIMIT 1").Scan(&size, &chainHead, &at, &note); err != nil {
			t.Fatal(err)
		}
		if size != 15 || chainHead != cp2.Head || at != cp2.At.UnixMilli() || note != cp2.Note {
			t.Fatalf("stored: %d %s %d %q", size, chainHead, at, note)
		}
	})
}

// Every single-bit change anywhere in a note makes it fail, and VerifyAgainst reports it.
func TestCheckpointNoteFlippedBytes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.fill(t, 5, 5)
		cp, err := e.tr.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		note := []byte(cp.Note)
		if r, err := e.tr.VerifyAgainst(ctx, note); err != nil || r.Problem != nil {
			t.Fatalf("genuine note: %+v %v", r, err)
		}
		for i := range note {
			for _, bit := range []byte{0x01, 0x20, 0x80} {
				bad := append([]byte(nil), note...)
				bad[i] ^= bit
				if _, err := e.tr.ParseNote(bad); !errors.Is(err, ErrBadNote) {
					t.Fatalf("byte %d ^ %#x accepted (%v)", i, bit, err)
				}
			}
		}
		for _, bad := range [][]byte{nil, {}, []byte("garbage"), note[:len(note)-1], append(append([]byte(nil), note...), '\n'),
			[]byte(strings.Replace(cp.Note, "\n5\n", "\n05\n", 1))} {
			r, err := e.tr.VerifyAgainst(ctx, bad)
			if err != nil || r.Problem == nil || !strings.Contains(r.Problem.Reason, "external") {
				t.Fatalf("bad note %q: %+v %v", bad, r.Problem, err)
			}
		}
		// A note from another key does not verify here.
		k2, _ := GenerateKey()
		other := New(d, k2, e.clk)
		if _, err := other.ParseNote(note); !errors.Is(err, ErrBadNote) || !strings.Contains(err.Error(), "signed by key") {
			t.Fatalf("foreign key: %v", err)
		}
	})
}

// AL-05: a checkpoint is due after 1000 entries, or 5 minutes after the last one when there are new
// entries.
func TestAL05_Due(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		due := func(want bool, when string) {
			t.Helper()
			got, err := e.tr.Due(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s: due = %v, want %v", when, got, want)
			}
		}
		due(false, "empty log")
		e.clk.Advance(time.Hour)
		due(false, "empty log, an hour later")
		e.fill(t, 1, 1) // at t0+1h+1s
		due(false, "one fresh entry")
		e.clk.Advance(CheckpointInterval - time.Second)
		due(false, "just under 5 minutes after the first entry")
		e.clk.Advance(time.Second)
		due(true, "5 minutes after the first entry")
		if _, err := e.tr.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		due(false, "right after a checkpoint")
		e.clk.Advance(time.Hour)
		due(false, "an hour on, nothing new")
		e.fill(t, CheckpointEvery-1, 500) // moves the clock 999 s
		due(true, "999 entries, over an hour after the checkpoint")
		cp, err := e.tr.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.fill(t, CheckpointEvery-1, 500)
		e.clk.Set(cp.At.Add(time.Minute))
		due(false, "999 entries, a minute after the checkpoint")
		if err := e.tr.Record(ctx, Event{Action: "org.update"}); err != nil {
			t.Fatal(err)
		}
		due(true, "1000 entries, a minute after the checkpoint")
	})
}

// Checkpoint refuses to sign over an altered log and leaves the stored checkpoints as they were.
func TestCheckpointRefusesBrokenLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.fill(t, 10, 10)
		if _, err := e.tr.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		e.fill(t, 10, 10)
		e.dropGuards(t)
		e.exec(t, "UPDATE audit_log SET detail = 'x' WHERE seq = 15")
		_, err := e.tr.Checkpoint(ctx)
		if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "seq 15") {
			t.Fatalf("want ErrTampered at 15, got %v", err)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM audit_checkpoints"); n != 1 {
			t.Fatalf("checkpoints: %d", n)
		}
	})
}
