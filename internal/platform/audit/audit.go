// Package audit is the platform's tamper-evident audit trail ("过程管控、全程留痕"): every change and every
// security event is appended to audit_log in the same transaction as the change it records, with who,
// when, what and the outcome.
//
// Each entry carries entry_hash, the SM3 of a canonical, versioned, length-prefixed encoding of all its
// fields, and chain, an HMAC-SM3 under a key kept outside the database over the previous chain and this
// entry_hash. Editing, deleting, inserting or reordering rows therefore breaks the chain at the first
// affected seq, and nobody without the key can rebuild it. Signed checkpoints (SM2 over size and chain
// head, see Checkpoint) are meant to be copied off the server: they also catch a truncated tail and a
// log rebuilt with the key, which the chain alone cannot. Verify and VerifyAgainst recompute everything
// and name the first bad seq. See ../shared/reference/security-bar.md §E (AL-01…AL-10).
//
// Limitation: an attacker who holds the key file and the database can rewrite entries written after
// the last checkpoint that was copied off the server; the checkpoint interval bounds that window.
package audit

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/gm"
	"github.com/emmansun/gmsm/sm2"
)

// Actor is who causes what is recorded. The web layer puts it in the request context with WithActor.
type Actor struct {
	UserID                              int64
	Username, Role, ClientIP, RequestID string
}

type actorKey struct{}

// WithActor returns a context that carries a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or the zero Actor (the system itself) when there is none.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Event is one thing to record.
type Event struct {
	Action     string // dotted verb, e.g. "auth.login", "auth.login_failed", "org.create"
	ObjectType string // e.g. "user", "org"
	ObjectID   any    // int64 (any integer), string or nil; stored as text
	Before     any    // state before: only the SM3 of its JSON is stored; nil → ""
	After      any    // state after, same
	Result     string // "ok" (default when empty), "denied", "failed"
	Detail     string // short free text, never personal data
}

// Results an event may have.
const (
	ResultOK     = "ok"
	ResultDenied = "denied"
	ResultFailed = "failed"
)

// Field limits. Values are cut (at a UTF-8 boundary) rather than refused: a failed login with a
// megabyte-long user name must still be recorded, and must not fill the log.
const (
	maxField  = 256
	maxDetail = 1024
)

// pgLockKey is the pg_advisory_xact_lock key that serialises appends on PostgreSQL ("djaudit1").
const pgLockKey int64 = 0x646a617564697431

// Trail appends to and verifies the audit log. It is safe for concurrent use.
type Trail struct {
	d      *db.DB
	mac    []byte
	signer *sm2.PrivateKey
	pub    *ecdsa.PublicKey
	keyID  [4]byte
	c      clock.Clock
	// digestKey keys the before/after digests, so a digest of a small value (a phone number) cannot be
	// found by hashing every candidate. Derived from the MAC key, so no new secret to keep.
	digestKey []byte
}

// New returns the trail over d's audit_log, keyed with k. It panics when k is not a valid key (MAC of
// 32 bytes and an SM2 signer): that is a wiring mistake, found at start-up.
func New(d *db.DB, k Key, c clock.Clock) *Trail {
	if err := k.validate(); err != nil {
		panic(err)
	}
	if c == nil {
		c = clock.Real{}
	}
	return &Trail{
		d:         d,
		mac:       append([]byte(nil), k.MAC...),
		signer:    k.Signer,
		pub:       &k.Signer.PublicKey,
		keyID:     keyID(&k.Signer.PublicKey),
		c:         c,
		digestKey: deriveDigestKey(k.MAC),
	}
}

// Append writes one entry in the caller's transaction, so the entry commits or rolls back with the
// change it records. The actor comes from tx.Context(). On PostgreSQL it takes a transaction-scoped
// advisory lock that is held until the caller's transaction ends, so concurrent appenders queue behind
// each other: call Append as the last statement of the transaction to keep that wait short. On SQLite
// the single writer already serialises transactions.
func (t *Trail) Append(tx *db.Tx, e Event) error { return t.append(tx.Context(), tx, e) }

func (t *Trail) append(ctx context.Context, tx *db.Tx, e Event) error {
	r, err := t.prepare(ctx, e)
	if err != nil {
		return err
	}
	if tx.Engine() == db.Postgres {
		// A constant in the text: pg_advisory_xact_lock is overloaded, and a typed literal avoids asking
		// the server to guess the parameter's type.
		if _, err := tx.Exec("SELECT pg_advisory_xact_lock(" + strconv.FormatInt(pgLockKey, 10) + ")"); err != nil {
			return fmt.Errorf("audit: lock: %w", err)
		}
	}
	var (
		prevSeq, prevAt int64
		prevChain       string
	)
	err = tx.QueryRow("SELECT seq, at, chain FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&prevSeq, &prevAt, &prevChain)
	prev := genesis
	switch {
	case err == nil:
		if prev, err = hex.DecodeString(prevChain); err != nil || len(prev) != hashLen {
			return fmt.Errorf("audit: head entry %d has a malformed chain value", prevSeq)
		}
	case errs.Is(err, errs.NotFound):
		prevSeq, prevAt = 0, 0
	default:
		return fmt.Errorf("audit: read head: %w", err)
	}
	r.seq = prevSeq + 1
	if r.at < prevAt {
		// The clock went back (NTP step, VM restore). Keep the log's time monotonic, which Verify
		// requires, and say so: AL-10 wants an alert.
		slog.Warn("audit: clock went backwards; entry time held at the previous entry's",
			"seq", r.seq, "clock_ms", r.at, "previous_ms", prevAt)
		r.at = prevAt
	}
	var enc encoder
	h := enc.entryHash(&r)
	m := gm.Default.NewMAC(t.mac)
	ch := chainNext(m, prev, h, nil)
	_, err = tx.Exec(`INSERT INTO audit_log (seq, at, actor_id, actor_name, actor_role, client_ip, request_id,
		action, object_type, object_id, before_digest, after_digest, result, detail, entry_hash, chain)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.seq, r.at, r.actorID,
		string(r.text[fActorName]), string(r.text[fActorRole]), string(r.text[fClientIP]), string(r.text[fRequestID]),
		string(r.text[fAction]), string(r.text[fObjectType]), string(r.text[fObjectID]),
		string(r.text[fBefore]), string(r.text[fAfter]), string(r.text[fResult]), string(r.text[fDetail]),
		hex.EncodeToString(h), hex.EncodeToString(ch))
	if err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	return nil
}

// Record appends e in a write transaction of its own, for security events that change nothing else
// (a failed login, a denied request).
func (t *Trail) Record(ctx context.Context, e Event) error {
	return t.d.Write(ctx, func(tx *db.Tx) error { return t.Append(tx, e) })
}

// errInvalidEvent marks events the caller built wrongly.
var errInvalidEvent = errors.New("audit: invalid event")

// prepare turns an event into a record with everything but seq (and a final at) filled in.
func (t *Trail) prepare(ctx context.Context, e Event) (record, error) {
	var r record
	if strings.TrimSpace(e.Action) == "" {
		return r, errs.Wrap(errs.Internal, "error.internal", fmt.Errorf("%w: empty action", errInvalidEvent))
	}
	res := e.Result
	if res == "" {
		res = ResultOK
	}
	switch res {
	case ResultOK, ResultDenied, ResultFailed:
	default:
		return r, errs.Wrap(errs.Internal, "error.internal", fmt.Errorf("%w: result %q", errInvalidEvent, res))
	}
	before, err := t.digest(e.Before)
	if err != nil {
		return r, fmt.Errorf("audit: before state: %w", err)
	}
	after, err := t.digest(e.After)
	if err != nil {
		return r, fmt.Errorf("audit: after state: %w", err)
	}
	a := ActorFrom(ctx)
	r.at = db.Millis(t.c.Now())
	r.actorID = a.UserID
	set := func(f int, s string, limit int) { r.text[f] = []byte(clean(s, limit)) }
	set(fActorName, a.Username, maxField)
	set(fActorRole, a.Role, maxField)
	set(fClientIP, a.ClientIP, maxField)
	set(fRequestID, a.RequestID, maxField)
	set(fAction, e.Action, maxField)
	set(fObjectType, e.ObjectType, maxField)
	set(fObjectID, objectID(e.ObjectID), maxField)
	set(fBefore, before, maxField)
	set(fAfter, after, maxField)
	set(fResult, res, maxField)
	set(fDetail, e.Detail, maxDetail)
	return r, nil
}

// digest is the hex SM3 of v's JSON (encoding/json sorts map keys, so equal values give equal
// digests), or "" for nil.
// digest is HMAC-SM3 of the value's JSON under the digest key: equal states give equal digests (so an
// auditor holding the state can confirm it), but the digest alone reveals nothing.
func (t *Trail) digest(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return gm.MACHex(t.digestKey, b), nil
}

func deriveDigestKey(mac []byte) []byte {
	m := gm.Default.NewMAC(mac)
	m.Write([]byte("dangjian audit digest key v1"))
	return m.Sum(nil)
}

func objectID(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// clean makes s storable the same way on both engines (valid UTF-8, no NUL, which PostgreSQL's TEXT
// refuses) and cuts it to limit bytes at a character boundary. The hash covers the cleaned value.
func clean(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
