package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/gm"
)

// Problem is the first thing wrong with the log. Seq is the first entry that is missing, altered,
// inserted or out of place; for a checkpoint that does not verify it is the size the checkpoint claims
// (0 when an external note is unreadable).
type Problem struct {
	Seq    int64
	Reason string
}

// Report is the outcome of a verification. Entries counts the entries verified before the first problem
// (all of them when there is none); Head is the chain value after them.
type Report struct {
	Entries     int64
	Checkpoints int
	Head        string
	Problem     *Problem
}

// Intact tells whether the verification found nothing wrong.
func (r Report) Intact() bool { return r.Problem == nil }

// Verify recomputes every entry's hash and the chain from seq 1, checks that seq is contiguous and time
// never goes backwards, checks every stored checkpoint's signature and that its head equals the chain
// recomputed at its size, and that the log reaches every stored checkpoint's size. It streams the log in
// pages on the read pool. Report.Problem names the first bad seq; err is only for failures to read.
func (t *Trail) Verify(ctx context.Context) (Report, error) { return t.verify(ctx, false, nil) }

// VerifyAgainst is Verify plus a checkpoint note kept outside the server: the note must be signed by
// this trail's key, the log must be at least as long as the note says and its chain at that size must
// equal the note's head. This catches a truncated tail (with the stored checkpoints deleted) and a log
// rewritten from the start. Whatever is wrong with the note itself is a Problem too, never an intact
// report.
func (t *Trail) VerifyAgainst(ctx context.Context, note []byte) (Report, error) {
	return t.verify(ctx, true, note)
}

type expectation struct {
	head string
	what string
}

func (t *Trail) verify(ctx context.Context, external bool, note []byte) (Report, error) {
	var (
		rep   Report
		found []*Problem // candidates; the one with the lowest seq is reported
		heads = map[int64]expectation{}
	)
	expect := func(size int64, head, what string) {
		if prev, ok := heads[size]; ok && prev.head != head {
			found = append(found, &Problem{size, fmt.Sprintf("%s and %s disagree on the chain at %d", prev.what, what, size)})
			return
		}
		heads[size] = expectation{head, what}
	}
	// Checkpoints first: each is written after the entries it covers, so the entries read next are at
	// least as many as any checkpoint read here, unless some were removed.
	cps, err := t.storedCheckpoints(ctx)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cps)
	for _, c := range cps {
		what := fmt.Sprintf("checkpoint #%d", c.id)
		cp, err := t.ParseNote([]byte(c.note))
		if err != nil {
			found = append(found, &Problem{max(c.size, 1), fmt.Sprintf("%s: %v", what, err)})
			continue
		}
		if cp.Size != c.size || cp.Head != c.head || db.Millis(cp.At) != c.at {
			found = append(found, &Problem{max(min(cp.Size, c.size), 1), what + ": stored columns differ from its signed note"})
		}
		expect(cp.Size, cp.Head, what)
	}
	if external { // an empty or nil note is an error like any other, never a pass
		cp, err := t.ParseNote(note)
		if err != nil {
			found = append(found, &Problem{cp.Size, fmt.Sprintf("external checkpoint: %v", err)})
		} else {
			expect(cp.Size, cp.Head, "external checkpoint")
		}
	}

	end, n, p, err := t.scan(ctx, scanState{chain: genesis}, heads)
	if err != nil {
		return rep, err
	}
	rep.Entries = n
	if n > 0 {
		rep.Head = hex.EncodeToString(end.chain)
	}
	if p == nil {
		for size, e := range heads {
			if size > end.seq {
				found = append(found, &Problem{end.seq + 1,
					fmt.Sprintf("log ends at %d but %s covers %d entries (entries removed from the tail)", end.seq, e.what, size)})
			}
		}
	} else {
		found = append([]*Problem{p}, found...) // on a tie, the entry's own fault is the better reason
	}
	for _, f := range found {
		if rep.Problem == nil || f.Seq < rep.Problem.Seq {
			rep.Problem = f
		}
	}
	return rep, nil
}

func (t *Trail) storedCheckpoints(ctx context.Context) ([]storedCheckpoint, error) {
	rows, err := t.d.Query(ctx, "SELECT id, size, chain_head, at, note FROM audit_checkpoints ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedCheckpoint
	for rows.Next() {
		var c storedCheckpoint
		if err := rows.Scan(&c.id, &c.size, &c.head, &c.at, &c.note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// scanState is where a scan stands: the last verified seq, its time and its raw chain value.
type scanState struct {
	seq, at int64
	chain   []byte
}

// scanPage bounds each read query, so no read transaction stays open for the whole log (on SQLite a
// long reader keeps the WAL from being checkpointed).
const scanPage = 20000

const scanCols = `seq, at, actor_id, actor_name, actor_role, client_ip, request_id, action, object_type,
	object_id, before_digest, after_digest, result, detail, entry_hash, chain`

// scan verifies the entries after st.seq, in seq order, until the end of the log or the first problem,
// comparing the chain with heads[seq] where there is one. It returns the state after the last good
// entry and how many entries it verified.
func (t *Trail) scan(ctx context.Context, st scanState, heads map[int64]expectation) (scanState, int64, *Problem, error) {
	var (
		enc      encoder
		m        = gm.Default.NewMAC(t.mac)
		raw      [16]sql.RawBytes
		dest     [16]any
		chains   [2][hashLen]byte // the previous and the current chain value
		hexBuf   [2 * hashLen]byte
		r        record
		n        int64
		next     = 1 // chains[next] receives the current value
		expected = st.seq + 1
		after    = st.seq // keyset: the seq of the last row read
	)
	for i := range raw {
		dest[i] = &raw[i]
	}
	prev := chains[0][:copy(chains[0][:], st.chain)]
	if st.seq == 0 {
		after = math.MinInt64 // a full scan must also see forged rows with seq ≤ 0
	}
	q := "SELECT " + scanCols + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT " + strconv.Itoa(scanPage)
	for {
		rows, err := t.d.Query(ctx, q, after)
		if err != nil {
			return st, n, nil, err
		}
		got := 0
		var p *Problem
		for rows.Next() {
			got++
			if err := rows.Scan(dest[:]...); err != nil {
				rows.Close()
				return st, n, nil, err
			}
			seq, ok := parseInt(raw[0])
			if !ok {
				p = &Problem{expected, fmt.Sprintf("entry after %d has a malformed seq %q", expected-1, raw[0])}
				break
			}
			after = seq
			if seq != expected {
				if seq > expected {
					p = &Problem{expected, fmt.Sprintf("entry %d is missing (the next stored entry is %d)", expected, seq)}
				} else {
					p = &Problem{seq, fmt.Sprintf("unexpected entry with seq %d", seq)}
				}
				break
			}
			at, ok1 := parseInt(raw[1])
			actor, ok2 := parseInt(raw[2])
			if !ok1 || !ok2 {
				p = &Problem{seq, "entry has a malformed at or actor_id"}
				break
			}
			r.seq, r.at, r.actorID = seq, at, actor
			for i := range r.text {
				r.text[i] = raw[3+i]
			}
			h := enc.entryHash(&r)
			hex.Encode(hexBuf[:], h)
			if !bytes.Equal(hexBuf[:], raw[14]) {
				p = &Problem{seq, "entry_hash does not match the entry's fields (entry altered)"}
				break
			}
			cur := chainNext(m, prev, h, chains[next][:0])
			hex.Encode(hexBuf[:], cur)
			if !bytes.Equal(hexBuf[:], raw[15]) {
				p = &Problem{seq, "chain does not match (entry inserted, removed, reordered or rewritten without the key)"}
				break
			}
			if at < st.at {
				p = &Problem{seq, fmt.Sprintf("time goes backwards (%d ms before entry %d)", st.at-at, seq-1)}
				break
			}
			if e, ok := heads[seq]; ok && e.head != string(hexBuf[:]) {
				p = &Problem{seq, fmt.Sprintf("chain at %d differs from %s (log rewritten)", seq, e.what)}
				break
			}
			prev, next = cur, next^1
			st.seq, st.at = seq, at
			expected++
			n++
		}
		err = rows.Err()
		rows.Close()
		st.chain = append([]byte(nil), prev...)
		if p != nil || err != nil {
			return st, n, p, err
		}
		if got < scanPage {
			return st, n, nil, nil
		}
	}
}

// parseInt reads a scanned integer strictly (no sign on zero, no spaces, no leading zeros), so that two
// spellings of one value cannot both verify.
func parseInt(b []byte) (int64, bool) {
	v, err := strconv.ParseInt(string(b), 10, 64)
	var buf [24]byte
	if err != nil || !bytes.Equal(strconv.AppendInt(buf[:0], v, 10), b) {
		return 0, false
	}
	return v, true
}
