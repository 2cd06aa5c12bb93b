package audit

import (
	"encoding/binary"
	"hash"

	"github.com/dangjian/dangjian/internal/platform/gm"
)

// The entry encoding, version 1. Changing anything here breaks every existing log: add a new version
// instead and keep this one verifiable.
//
//	entry_hash = SM3( 0x00 ‖ str("dangjian.audit.entry.v1")
//	                  ‖ u64(seq) ‖ u64(at) ‖ u64(actor_id)
//	                  ‖ str(actor_name) ‖ str(actor_role) ‖ str(client_ip) ‖ str(request_id)
//	                  ‖ str(action) ‖ str(object_type) ‖ str(object_id)
//	                  ‖ str(before_digest) ‖ str(after_digest) ‖ str(result) ‖ str(detail) )
//	str(s) = u32(len(s)) ‖ s      u32, u64: big-endian; integers as two's complement
//	chain  = HMAC-SM3(K, prev ‖ entry_hash)   prev = raw chain of seq-1, or genesis for seq 1
//
// The 0x00 prefix is the leaf domain separator of RFC 6962, so a Merkle tree over the same leaves can
// be added later without a new encoding. Both stored columns are lowercase hex.
const entryVersion = "dangjian.audit.entry.v1"

// genesis stands in for the chain before seq 1.
var genesis = []byte("dangjian audit log genesis v1")

const hashLen = 32

// Indexes into record.text, in encoding (and column) order.
const (
	fActorName = iota
	fActorRole
	fClientIP
	fRequestID
	fAction
	fObjectType
	fObjectID
	fBefore
	fAfter
	fResult
	fDetail
	nText
)

// record is one entry's hashed fields. Text is held as bytes so that Verify can hash what it scanned
// without copying it into strings.
type record struct {
	seq, at, actorID int64
	text             [nText][]byte
}

// encoder reuses its buffer across entries.
type encoder struct{ buf []byte }

func (e *encoder) encode(r *record) []byte {
	b := append(e.buf[:0], 0x00)
	b = appendStr(b, entryVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(r.seq))
	b = binary.BigEndian.AppendUint64(b, uint64(r.at))
	b = binary.BigEndian.AppendUint64(b, uint64(r.actorID))
	for _, s := range r.text {
		b = appendStr(b, s)
	}
	e.buf = b
	return b
}

// entryHash is the raw SM3 entry hash of r.
func (e *encoder) entryHash(r *record) []byte { return gm.Default.Hash(e.encode(r)) }

func appendStr[S ~string | ~[]byte](b []byte, s S) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// chainNext is HMAC-SM3(K, prev ‖ entryHash) appended to dst; m is a MAC keyed with K.
func chainNext(m hash.Hash, prev, entryHash, dst []byte) []byte {
	m.Reset()
	m.Write(prev)
	m.Write(entryHash)
	return m.Sum(dst)
}
