package audit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
)

const fuzzLogSize = 12

var fuzzTextCols = []string{"actor_name", "actor_role", "client_ip", "request_id", "action", "object_type",
	"object_id", "before_digest", "after_digest", "result", "detail", "entry_hash", "chain"}

// AL-08: whatever single mutation is made to a valid log (a byte of any text column, any integer column,
// a deleted, swapped or added row, a byte of a stored checkpoint), Verify never calls the changed log
// intact. Run longer with: go test -fuzz FuzzVerifyRejectsMutations ./internal/platform/audit/
func FuzzVerifyRejectsMutations(f *testing.F) {
	template := buildFuzzTemplate(f)
	for op := range uint8(7) {
		for _, s := range []struct {
			row, col uint8
			pos      uint16
			val      uint8
		}{{1, 0, 0, 1}, {6, 3, 2, 0x80}, {12, 12, 63, 0x20}, {7, 11, 100, 'x'}, {12, 1, 5, 0xff}} {
			f.Add(op, s.row, s.col, s.pos, s.val)
		}
	}
	f.Fuzz(func(t *testing.T, op, rowSel, col uint8, pos uint16, val uint8) {
		ctx := context.Background()
		// Not t.TempDir(): seed names contain '#', which db.Open's file: URI would take for a fragment.
		dir, err := os.MkdirTemp("", "audit-fuzz-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "fuzz.db")
		copyFile(t, template, path)
		d, err := db.Open(ctx, "sqlite:"+path, db.Options{ReadConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		e := &env{d: d, tr: New(d, testKey, clock.NewFake(t0)), key: testKey}
		before := dump(t, d)
		r := int64(rowSel)%fuzzLogSize + 1
		what := mutate(t, e, op%7, r, col, pos, val)
		changed := dump(t, d) != before
		rep, err := e.tr.Verify(ctx)
		if err != nil {
			if changed {
				return // an unreadable log is not an intact one
			}
			t.Fatalf("verify of an unchanged log failed: %v", err)
		}
		if changed && rep.Problem == nil {
			t.Fatalf("mutation %s not detected: %+v", what, rep)
		}
		if !changed && rep.Problem != nil {
			t.Fatalf("no-op mutation %s reported: %+v", what, rep.Problem)
		}
	})
}

func buildFuzzTemplate(f *testing.F) string {
	path := filepath.Join(f.TempDir(), "template.db")
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+path, db.Options{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	e := newEnv(f, d)
	e.fill(f, fuzzLogSize, 4)
	if _, err := e.tr.Checkpoint(ctx); err != nil {
		f.Fatal(err)
	}
	e.dropGuards(f)
	// Fold the WAL into the main file so that copying that one file copies the database.
	if err := d.Exec(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		f.Fatal(err)
	}
	if err := d.Close(); err != nil {
		f.Fatal(err)
	}
	return path
}

func copyFile(t *testing.T, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// mutate applies one mutation and describes it. Mutations the database refuses (a duplicate seq) are
// simply not made; the caller compares dumps to know whether anything changed.
func mutate(t *testing.T, e *env, op uint8, r int64, col uint8, pos uint16, val uint8) string {
	ctx := context.Background()
	try := func(q string, args ...any) {
		_ = e.d.Write(ctx, func(tx *db.Tx) error { _, err := tx.Exec(q, args...); return err })
	}
	delta := int64(int8(val))
	if delta == 0 {
		delta = 1
	}
	delta <<= pos % 48
	switch op {
	case 0: // one byte of a text column: flipped, or appended past the end
		c := fuzzTextCols[int(col)%len(fuzzTextCols)]
		var v []byte
		if err := e.d.QueryRow(ctx, "SELECT "+c+" FROM audit_log WHERE seq = ?", r).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if p := int(pos) % (len(v) + 1); p == len(v) {
			v = append(v, val)
		} else {
			v[p] ^= val
		}
		try("UPDATE audit_log SET "+c+" = ? WHERE seq = ?", string(v), r)
		return fmt.Sprintf("%s of %d byte %d ^ %#x", c, r, pos, val)
	case 1: // an integer column
		c := []string{"seq", "at", "actor_id"}[int(col)%3]
		try("UPDATE audit_log SET "+c+" = "+c+" + ? WHERE seq = ?", delta, r)
		return fmt.Sprintf("%s of %d + %d", c, r, delta)
	case 2:
		try("DELETE FROM audit_log WHERE seq = ?", r)
		return fmt.Sprintf("delete %d", r)
	case 3:
		r2 := int64(pos)%fuzzLogSize + 1
		a, b := e.row(t, r), e.row(t, r2)
		e.put(t, r, b)
		e.put(t, r2, a)
		return fmt.Sprintf("swap %d and %d", r, r2)
	case 4: // a copy of a row appended, entry_hash recomputed (the chain needs the key)
		x := e.row(t, r)
		x.rec.seq = fuzzLogSize + 1 + int64(pos%3)
		if val != 0 {
			x.rec.text[int(col)%nText] = append(x.rec.text[int(col)%nText], val)
		}
		x.hash = hashOf(&x.rec)
		e.insert(t, x)
		return fmt.Sprintf("insert copy of %d at %d", r, x.rec.seq)
	case 5: // one byte of the stored checkpoint note
		var note []byte
		if err := e.d.QueryRow(ctx, "SELECT note FROM audit_checkpoints").Scan(&note); err != nil {
			t.Fatal(err)
		}
		note[int(pos)%len(note)] ^= val
		try("UPDATE audit_checkpoints SET note = ?", string(note))
		return fmt.Sprintf("note byte %d ^ %#x", pos, val)
	default: // a stored checkpoint column
		c := []string{"size", "at", "chain_head"}[int(col)%3]
		if c == "chain_head" {
			try("UPDATE audit_checkpoints SET chain_head = substr(chain_head, 1, ?) || ? || substr(chain_head, ? + 2)",
				int(pos)%64, string(rune('0'+val%16)), int(pos)%64)
		} else {
			try("UPDATE audit_checkpoints SET "+c+" = "+c+" + ?", delta)
		}
		return fmt.Sprintf("checkpoint %s", c)
	}
}

// dump is every stored value of both tables (but the checkpoints' meaningless id), with its type.
func dump(t *testing.T, d *db.DB) string {
	var b strings.Builder
	for _, q := range []string{"SELECT " + scanCols + " FROM audit_log ORDER BY seq",
		"SELECT size, chain_head, at, note FROM audit_checkpoints ORDER BY id"} {
		rows, err := d.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%#v\n", vals)
		}
		rows.Close()
	}
	return b.String()
}
