// Package pii protects personal data at rest (resident ID numbers, phone numbers): values are sealed
// with SM4-GCM through the platform's crypto interface (internal/platform/gm) and found again through a
// keyed hash (HMAC-SM3), so the clear value never reaches the database file, its WAL, logs or backups.
//
// The data key is separate from the audit key: the audit administrator's key proves the trail, this one
// opens the roster, and the two are rotated, held and backed up by different people.
package pii

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/gm"
	"github.com/dangjian/dangjian/internal/platform/keyfile"
)

// Sizes of the two keys.
const (
	EncKeyLen = 16 // SM4
	MACKeyLen = 32 // HMAC-SM3
)

// Where the key comes from.
const (
	// EnvKey holds the hex of the SM4 key followed by the HMAC key (96 hex digits). It wins over the file.
	EnvKey = "DANGJIAN_DATA_KEY"
	// KeyFile is the key file's name inside the directory given to LoadKey.
	KeyFile = "data.key"

	pemType = "DANGJIAN DATA KEY"
)

// Key seals and looks up personal data. The zero Key refuses to seal.
type Key struct {
	enc []byte
	mac []byte
}

// Valid reports whether k holds both keys.
func (k Key) Valid() bool { return len(k.enc) == EncKeyLen && len(k.mac) == MACKeyLen }

// ErrNoKey is returned when personal data is sealed or opened without a key (a wiring mistake).
var ErrNoKey = errors.New("pii: no data key")

// FromBytes builds a key from the SM4 key and the HMAC key.
func FromBytes(enc, mac []byte) (Key, error) {
	k := Key{enc: append([]byte(nil), enc...), mac: append([]byte(nil), mac...)}
	if !k.Valid() {
		return Key{}, fmt.Errorf("pii: key must be %d+%d bytes, got %d+%d", EncKeyLen, MACKeyLen, len(enc), len(mac))
	}
	return k, nil
}

// GenerateKey returns a fresh random key (for tests and for provisioning).
func GenerateKey() (Key, error) {
	b := make([]byte, EncKeyLen+MACKeyLen)
	if _, err := rand.Read(b); err != nil {
		return Key{}, err
	}
	return FromBytes(b[:EncKeyLen], b[EncKeyLen:])
}

// Seal encrypts plain with SM4-GCM; ad (for example the column name) is authenticated but not stored,
// so a sealed value copied into another column does not open. The result is base64 text. An empty
// plain seals to "" so optional fields stay empty.
func (k Key) Seal(plain, ad string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if !k.Valid() {
		return "", ErrNoKey
	}
	b, err := gm.Default.Seal(k.enc, []byte(plain), []byte(ad))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// Open reverses Seal; a value sealed under another key or another ad fails.
func (k Key) Open(sealed, ad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !k.Valid() {
		return "", ErrNoKey
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("pii: sealed value is not base64: %w", err)
	}
	p, err := gm.Default.Open(k.enc, b, []byte(ad))
	if err != nil {
		return "", fmt.Errorf("pii: open: %w", err)
	}
	return string(p), nil
}

// Lookup is the hex HMAC-SM3 of s, stored beside the sealed value for exact-match search and
// uniqueness. Without the key it cannot be reversed by trying all ID numbers. Empty s gives "".
func (k Key) Lookup(s string) string {
	if s == "" || !k.Valid() {
		return ""
	}
	return gm.MACHex(k.mac, []byte(s))
}

// LoadKey returns the data key: from DANGJIAN_DATA_KEY when set, else from <dir>/data.key, which is
// created (mode 0600, fresh random key) when create is true and it does not exist. A key file readable
// or writable by anyone but its owner is refused.
func LoadKey(dir string, create bool) (Key, error) {
	if v, ok := os.LookupEnv(EnvKey); ok {
		b, err := hex.DecodeString(strings.TrimSpace(v))
		if err != nil || len(b) != EncKeyLen+MACKeyLen {
			return Key{}, fmt.Errorf("pii: %s must be %d hex digits", EnvKey, 2*(EncKeyLen+MACKeyLen))
		}
		return FromBytes(b[:EncKeyLen], b[EncKeyLen:])
	}
	path := filepath.Join(dir, KeyFile)
	k, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !create {
		return k, err
	}
	return createKeyFile(path)
}

func readKeyFile(path string) (Key, error) {
	data, err := keyfile.Read(path)
	if err != nil {
		return Key{}, fmt.Errorf("pii: key file: %w", err)
	}
	b, rest := pem.Decode(data)
	if b == nil || b.Type != pemType || len(bytes.TrimSpace(rest)) != 0 || len(b.Bytes) != EncKeyLen+MACKeyLen {
		return Key{}, fmt.Errorf("pii: key file %s: expected one %q block of %d bytes", path, pemType, EncKeyLen+MACKeyLen)
	}
	return FromBytes(b.Bytes[:EncKeyLen], b.Bytes[EncKeyLen:])
}

// createKeyFile writes a fresh key to a temporary file and links it into place, so a reader never sees
// a half-written key and two processes starting at once end up with the same key.
func createKeyFile(path string) (Key, error) {
	k, err := GenerateKey()
	if err != nil {
		return Key{}, err
	}
	var buf bytes.Buffer
	buf.WriteString("# Dangjian data key: SM4 key for ID and phone numbers, then the HMAC-SM3 lookup key. Keep secret,\n")
	buf.WriteString("# mode 0600, and back it up apart from the database: without it the roster's ID numbers are lost.\n")
	if err := pem.Encode(&buf, &pem.Block{Type: pemType, Bytes: append(append([]byte(nil), k.enc...), k.mac...)}); err != nil {
		return Key{}, err
	}
	switch err := keyfile.Create(path, buf.Bytes()); {
	case errors.Is(err, keyfile.ErrExists):
		return readKeyFile(path) // another process won the race
	case err != nil:
		return Key{}, fmt.Errorf("pii: %w", err)
	}
	return k, nil
}
