package audit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/gm"
	"github.com/dangjian/dangjian/internal/platform/keyfile"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Key is the trail's secret: MAC keys the chain (HMAC-SM3), Signer signs checkpoints (SM2). Neither may
// live in the database, or whoever copies the database can rebuild the chain.
type Key struct {
	MAC    []byte // 32 bytes
	Signer *sm2.PrivateKey
}

// Where the key comes from.
const (
	// EnvKey holds the hex of the 32-byte MAC key. When set it wins over the key file.
	EnvKey = "DANGJIAN_AUDIT_KEY"
	// EnvSigningKey optionally holds the hex of the 32-byte SM2 private scalar. Without it, and with
	// EnvKey set, the SM2 key is derived from the MAC key (see deriveSigner).
	EnvSigningKey = "DANGJIAN_AUDIT_SIGNING_KEY"
	// KeyFile is the key file's name inside the directory given to LoadKey.
	KeyFile = "audit.key"

	pemMAC = "DANGJIAN AUDIT MAC KEY"
	pemSM2 = "PRIVATE KEY" // PKCS #8, readable by gmssl and other SM2 tools
)

// LoadKey returns the audit key:
//
//   - from the environment when DANGJIAN_AUDIT_KEY is set (64 hex digits); the SM2 key is then read from
//     DANGJIAN_AUDIT_SIGNING_KEY (64 hex digits) or, when that is unset, derived deterministically from
//     the MAC key;
//   - else from <dir>/audit.key, which is created (mode 0600, fresh random keys) when create is true and
//     it does not exist. A key file readable or writable by anyone but its owner is refused.
//
// The file holds two PEM blocks: "DANGJIAN AUDIT MAC KEY" (the 32 raw bytes) and "PRIVATE KEY" (the SM2
// key as PKCS #8).
func LoadKey(dir string, create bool) (Key, error) {
	if v, ok := os.LookupEnv(EnvKey); ok {
		return keyFromEnv(v, os.Getenv(EnvSigningKey))
	}
	if os.Getenv(EnvSigningKey) != "" {
		return Key{}, fmt.Errorf("audit: %s is set without %s", EnvSigningKey, EnvKey)
	}
	path := filepath.Join(dir, KeyFile)
	k, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !create {
		return k, err
	}
	return createKeyFile(path)
}

// GenerateKey returns a fresh random key (for tests and for tools that provision keys).
func GenerateKey() (Key, error) {
	mac := make([]byte, hashLen)
	if _, err := rand.Read(mac); err != nil {
		return Key{}, err
	}
	s, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, err
	}
	return Key{MAC: mac, Signer: s}, nil
}

func (k Key) validate() error {
	if len(k.MAC) != hashLen {
		return fmt.Errorf("audit: MAC key must be %d bytes, got %d", hashLen, len(k.MAC))
	}
	if k.Signer == nil || k.Signer.D == nil || k.Signer.X == nil || k.Signer.Curve == nil {
		return errors.New("audit: no SM2 signing key")
	}
	if k.Signer.Curve.Params().Name != sm2.P256().Params().Name {
		return errors.New("audit: signing key is not on the SM2 curve")
	}
	return nil
}

// KeyID is the hex of the first 4 bytes of the SM3 of the uncompressed SM2 public key: it names the key
// on every checkpoint note.
func (k Key) KeyID() string {
	if k.Signer == nil {
		return ""
	}
	id := keyID(&k.Signer.PublicKey)
	return hex.EncodeToString(id[:])
}

func keyID(pub *ecdsa.PublicKey) [4]byte {
	b := make([]byte, 0, 96)
	b = append(b, "dangjian audit key id v1\n\x04"...)
	b = append(b, pub.X.FillBytes(make([]byte, 32))...)
	b = append(b, pub.Y.FillBytes(make([]byte, 32))...)
	return [4]byte(gm.Default.Hash(b)[:4])
}

func keyFromEnv(macHex, sigHex string) (Key, error) {
	mac, err := hex.DecodeString(strings.TrimSpace(macHex))
	if err != nil || len(mac) != hashLen {
		return Key{}, fmt.Errorf("audit: %s must be %d hex digits", EnvKey, 2*hashLen)
	}
	var s *sm2.PrivateKey
	if sigHex = strings.TrimSpace(sigHex); sigHex != "" {
		d, err := hex.DecodeString(sigHex)
		if err != nil || len(d) != 32 {
			return Key{}, fmt.Errorf("audit: %s must be 64 hex digits", EnvSigningKey)
		}
		if s, err = signerFromScalar(new(big.Int).SetBytes(d)); err != nil {
			return Key{}, fmt.Errorf("audit: %s: %w", EnvSigningKey, err)
		}
	} else {
		s = deriveSigner(mac)
	}
	return Key{MAC: mac, Signer: s}, nil
}

// deriveSigner derives the SM2 key from the MAC key: d = (HMAC-SM3(mac, label‖0x01) ‖ HMAC-SM3(mac,
// label‖0x02)) mod (n−2) + 1, so d ∈ [1, n−2] as SM2 requires, with negligible bias. One secret in the
// environment then gives both keys; deployments that want the signing key held apart set
// DANGJIAN_AUDIT_SIGNING_KEY (or use the key file).
func deriveSigner(mac []byte) *sm2.PrivateKey {
	const label = "dangjian audit sm2 signing key v1"
	var okm []byte
	for i := byte(1); i <= 2; i++ {
		m := gm.Default.NewMAC(mac)
		m.Write([]byte(label))
		m.Write([]byte{i})
		okm = m.Sum(okm)
	}
	n := sm2.P256().Params().N
	d := new(big.Int).SetBytes(okm)
	d.Mod(d, new(big.Int).Sub(n, big.NewInt(2)))
	d.Add(d, big.NewInt(1))
	s, err := signerFromScalar(d)
	if err != nil {
		panic(err) // d is in range by construction
	}
	return s
}

func signerFromScalar(d *big.Int) (*sm2.PrivateKey, error) {
	c := sm2.P256()
	n := c.Params().N
	if d.Sign() <= 0 || d.Cmp(new(big.Int).Sub(n, big.NewInt(1))) >= 0 {
		return nil, errors.New("SM2 private key out of range")
	}
	k := new(sm2.PrivateKey)
	k.Curve = c
	k.D = new(big.Int).Set(d)
	k.X, k.Y = c.ScalarBaseMult(d.FillBytes(make([]byte, 32)))
	return k, nil
}

func readKeyFile(path string) (Key, error) {
	data, err := keyfile.Read(path)
	if err != nil {
		return Key{}, fmt.Errorf("audit: key file: %w", err)
	}
	k, err := parseKeyFile(data)
	if err != nil {
		return Key{}, fmt.Errorf("audit: key file %s: %w", path, err)
	}
	return k, nil
}

func parseKeyFile(data []byte) (Key, error) {
	var k Key
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case pemMAC:
			if k.MAC != nil || len(b.Bytes) != hashLen {
				return Key{}, errors.New("bad or repeated MAC key block")
			}
			k.MAC = b.Bytes
		case pemSM2:
			if k.Signer != nil {
				return Key{}, errors.New("repeated private key block")
			}
			p, err := smx509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return Key{}, fmt.Errorf("SM2 key: %w", err)
			}
			s, ok := p.(*sm2.PrivateKey)
			if !ok {
				return Key{}, fmt.Errorf("private key is %T, not SM2", p)
			}
			k.Signer = s
		default:
			return Key{}, fmt.Errorf("unexpected PEM block %q", b.Type)
		}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return Key{}, errors.New("trailing data")
	}
	if err := k.validate(); err != nil {
		return Key{}, err
	}
	return k, nil
}

func marshalKeyFile(k Key) ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# Dangjian audit key: HMAC-SM3 chain key and SM2 checkpoint signing key. Keep secret, mode 0600,\n")
	b.WriteString("# and back it up apart from the database: without it the audit log cannot be verified.\n")
	if err := pem.Encode(&b, &pem.Block{Type: pemMAC, Bytes: k.MAC}); err != nil {
		return nil, err
	}
	if err := pem.Encode(&b, &pem.Block{Type: pemSM2, Bytes: der}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// createKeyFile writes fresh keys to a temporary file and links it into place, so that a reader never
// sees a half-written key and two processes starting at once end up with the same key.
func createKeyFile(path string) (Key, error) {
	k, err := GenerateKey()
	if err != nil {
		return Key{}, err
	}
	data, err := marshalKeyFile(k)
	if err != nil {
		return Key{}, err
	}
	switch err := keyfile.Create(path, data); {
	case errors.Is(err, keyfile.ErrExists):
		return readKeyFile(path) // another process won the race
	case err != nil:
		return Key{}, fmt.Errorf("audit: %w", err)
	}
	return k, nil
}
