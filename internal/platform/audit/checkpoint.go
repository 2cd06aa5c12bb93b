package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/emmansun/gmsm/sm2"
)

// Checkpoint cadence (AL-05): a checkpoint is due after this many new entries, or this long after the
// last one when there are new entries.
const (
	CheckpointEvery    = 1000
	CheckpointInterval = 5 * time.Minute
)

// Checkpoint is a signed statement "the log had Size entries and its chain head was Head at At". Note is
// its text, to be copied off the server (syslog, the 审计管理员's report) and fed back to VerifyAgainst.
type Checkpoint struct {
	Size int64
	Head string
	At   time.Time
	Note string
}

// The note format (a signed note in the style of Go's sumdb and transparency-dev checkpoints):
//
//	dangjian audit checkpoint v1
//	<size>
//	<head: 64 lowercase hex>
//	<time: RFC 3339, UTC, seconds>
//	<empty line>
//	— dangjian-audit <base64(key id (4 bytes) ‖ SM2 signature, ASN.1)>
//
// The signature is SM2 (GB/T 32918.2, default user id) over the first four lines, each with its "\n".
// Parsing is strict: a note is accepted only if re-encoding what was parsed gives the same bytes.
const (
	noteHeader  = "dangjian audit checkpoint v1"
	noteSigName = "dangjian-audit"
	noteSigPre  = "\u2014 " + noteSigName + " "
)

// ErrBadNote is wrapped by every error about a checkpoint note that does not parse or verify.
var ErrBadNote = errors.New("audit: bad checkpoint note")

// ErrTampered is wrapped by Checkpoint's refusal to sign over a log that fails verification.
var ErrTampered = errors.New("audit: audit log fails verification")

var b64 = base64.StdEncoding.Strict()

func noteBody(size int64, head string, at time.Time) string {
	return noteHeader + "\n" + strconv.FormatInt(size, 10) + "\n" + head + "\n" + at.UTC().Format(time.RFC3339) + "\n"
}

func (t *Trail) sign(size int64, head string, at time.Time) (string, error) {
	body := noteBody(size, head, at)
	sig, err := t.signer.Sign(rand.Reader, []byte(body), sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		return "", fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	return body + "\n" + noteSigPre + b64.EncodeToString(append(t.keyID[:], sig...)) + "\n", nil
}

// ParseNote parses a checkpoint note and checks its signature with this trail's key.
func (t *Trail) ParseNote(note []byte) (Checkpoint, error) {
	cp, keyID, sig, body, err := parseNote(note)
	if err != nil {
		return Checkpoint{}, err
	}
	if keyID != t.keyID {
		return cp, fmt.Errorf("%w: signed by key %x, this trail's key is %x", ErrBadNote, keyID, t.keyID)
	}
	if !sm2.VerifyASN1WithSM2(t.pub, nil, body, sig) {
		return cp, fmt.Errorf("%w: signature does not verify", ErrBadNote)
	}
	return cp, nil
}

// parseNote parses without checking the signature. On error the returned checkpoint holds whatever of
// the size could be read, so that problems can still be placed.
func parseNote(note []byte) (cp Checkpoint, keyID [4]byte, sig, body []byte, err error) {
	bad := func(why string) (Checkpoint, [4]byte, []byte, []byte, error) {
		return cp, keyID, nil, nil, fmt.Errorf("%w: %s", ErrBadNote, why)
	}
	i := bytes.Index(note, []byte("\n\n"))
	if i < 0 {
		return bad("no signature")
	}
	body, rest := note[:i+1], note[i+2:]
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	if len(lines) != 4 || string(lines[0]) != noteHeader {
		return bad("not a dangjian audit checkpoint v1")
	}
	size, err := strconv.ParseInt(string(lines[1]), 10, 64)
	if err != nil || size < 1 {
		return bad("bad size")
	}
	cp.Size = size
	head := string(lines[2])
	if h, err := hex.DecodeString(head); err != nil || len(h) != hashLen {
		return bad("bad head")
	}
	at, err := time.Parse(time.RFC3339, string(lines[3]))
	if err != nil {
		return bad("bad time")
	}
	cp.Head, cp.At = head, at.UTC()
	if !bytes.HasPrefix(rest, []byte(noteSigPre)) || !bytes.HasSuffix(rest, []byte("\n")) {
		return bad("bad signature line")
	}
	raw, err := b64.DecodeString(string(rest[len(noteSigPre) : len(rest)-1]))
	if err != nil || len(raw) < 4+8 {
		return bad("bad signature encoding")
	}
	keyID, sig = [4]byte(raw[:4]), raw[4:]
	// Canonical form only: no leading zeros, upper-case hex, other zones, fractions or extra lines.
	if noteBody(cp.Size, cp.Head, cp.At) != string(body) || b64.EncodeToString(raw) != string(rest[len(noteSigPre):len(rest)-1]) {
		return bad("not in canonical form")
	}
	cp.Note = string(note)
	return cp, keyID, sig, body, nil
}

type storedCheckpoint struct {
	id, size, at int64
	head, note   string
}

// lastCheckpoint is the stored checkpoint covering the most entries.
func (t *Trail) lastCheckpoint(ctx context.Context) (storedCheckpoint, bool, error) {
	var c storedCheckpoint
	err := t.d.QueryRow(ctx, "SELECT id, size, chain_head, at, note FROM audit_checkpoints ORDER BY size DESC, id DESC LIMIT 1").
		Scan(&c.id, &c.size, &c.head, &c.at, &c.note)
	if errs.Is(err, errs.NotFound) {
		return c, false, nil
	}
	return c, err == nil, err
}

// Checkpoint signs the current size and chain head, stores the note in audit_checkpoints and returns
// it. Nothing is written when no entry was appended since the last checkpoint (the last one is returned;
// the zero Checkpoint when the log is empty).
//
// Before signing it verifies the entries added since the last checkpoint, starting from that
// checkpoint's signed head, and refuses (ErrTampered) to sign over a broken chain: a checkpoint vouches
// for everything before it. The verification runs on the read pool, outside the write transaction,
// so the writer is held only for the insert.
func (t *Trail) Checkpoint(ctx context.Context) (Checkpoint, error) {
	last, have, err := t.lastCheckpoint(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	start := scanState{chain: genesis}
	var lastCP Checkpoint
	if have {
		if lastCP, err = t.ParseNote([]byte(last.note)); err != nil {
			return Checkpoint{}, fmt.Errorf("%w: last checkpoint #%d: %v", ErrTampered, last.id, err)
		}
		if lastCP.Size != last.size || lastCP.Head != last.head {
			return Checkpoint{}, fmt.Errorf("%w: last checkpoint #%d: columns differ from its signed note", ErrTampered, last.id)
		}
		start.seq = lastCP.Size
		start.chain, _ = hex.DecodeString(lastCP.Head)
		if err := t.d.QueryRow(ctx, "SELECT at FROM audit_log WHERE seq = ?", start.seq).Scan(&start.at); err != nil {
			if errs.Is(err, errs.NotFound) {
				return Checkpoint{}, fmt.Errorf("%w: entry %d, covered by checkpoint #%d, is missing", ErrTampered, start.seq, last.id)
			}
			return Checkpoint{}, err
		}
	}
	end, _, p, err := t.scan(ctx, start, nil)
	if err != nil {
		return Checkpoint{}, err
	}
	if p != nil {
		return Checkpoint{}, fmt.Errorf("%w at seq %d: %s; not signing a checkpoint over it", ErrTampered, p.Seq, p.Reason)
	}
	if end.seq == start.seq {
		return lastCP, nil
	}
	cp := Checkpoint{Size: end.seq, Head: hex.EncodeToString(end.chain), At: t.c.Now().UTC().Truncate(time.Second)}
	if cp.Note, err = t.sign(cp.Size, cp.Head, cp.At); err != nil {
		return Checkpoint{}, err
	}
	skipped := false
	err = t.d.Write(ctx, func(tx *db.Tx) error {
		var covered int64
		if err := tx.QueryRow("SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints").Scan(&covered); err != nil {
			return err
		}
		if covered >= cp.Size { // a concurrent Checkpoint got there first
			skipped = true
			return nil
		}
		var chain string
		if err := tx.QueryRow("SELECT chain FROM audit_log WHERE seq = ?", cp.Size).Scan(&chain); err != nil {
			return err
		}
		if chain != cp.Head {
			return fmt.Errorf("%w: entry %d changed while being checkpointed", ErrTampered, cp.Size)
		}
		_, err := tx.Exec("INSERT INTO audit_checkpoints (size, chain_head, at, note) VALUES (?, ?, ?, ?)",
			cp.Size, cp.Head, db.Millis(cp.At), cp.Note)
		return err
	})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: store checkpoint: %w", err)
	}
	if skipped {
		c, _, err := t.lastCheckpoint(ctx)
		if err != nil {
			return Checkpoint{}, err
		}
		return t.ParseNote([]byte(c.note))
	}
	return cp, nil
}

// Due tells whether a checkpoint should be taken now: there are new entries since the last checkpoint,
// and either at least CheckpointEvery of them or CheckpointInterval has passed since that checkpoint
// (since the first entry when there is none yet).
func (t *Trail) Due(ctx context.Context) (bool, error) {
	var head int64
	if err := t.d.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_log").Scan(&head); err != nil {
		return false, err
	}
	last, have, err := t.lastCheckpoint(ctx)
	if err != nil {
		return false, err
	}
	if head <= last.size {
		return false, nil
	}
	if head-last.size >= CheckpointEvery {
		return true, nil
	}
	since := last.at
	if !have {
		if err := t.d.QueryRow(ctx, "SELECT at FROM audit_log ORDER BY seq LIMIT 1").Scan(&since); err != nil {
			return false, err
		}
	}
	return t.c.Now().Sub(db.FromMillis(since)) >= CheckpointInterval, nil
}
