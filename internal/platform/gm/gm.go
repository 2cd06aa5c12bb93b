// Package gm is the platform's one crypto interface (国密 by default). Everything that hashes, MACs,
// encrypts or signs goes through Provider, so a deployment that must pass 密评 can swap the software
// implementation (emmansun/gmsm) for a certified cipher machine without touching callers.
// See ../shared/reference/security-bar.md K2.
package gm

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// Provider is what the platform needs from cryptography.
type Provider interface {
	// Hash is SM3 (32 bytes).
	Hash(data []byte) []byte
	// NewMAC returns HMAC-SM3 keyed with key.
	NewMAC(key []byte) hash.Hash
	// Seal encrypts with SM4-GCM under a 16-byte key; the nonce is prepended.
	Seal(key, plaintext, additional []byte) ([]byte, error)
	// Open reverses Seal.
	Open(key, sealed, additional []byte) ([]byte, error)
}

// Software is the software implementation on emmansun/gmsm (not a certified module: see K2).
type Software struct{}

// Default is the provider used unless a deployment plugs in another.
var Default Provider = Software{}

func (Software) Hash(data []byte) []byte { s := sm3.Sum(data); return s[:] }

func (Software) NewMAC(key []byte) hash.Hash { return hmac.New(sm3.New, key) }

func (Software) Seal(key, plaintext, additional []byte) ([]byte, error) {
	aead, err := sm4gcm(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, additional), nil
}

func (Software) Open(key, sealed, additional []byte) ([]byte, error) {
	aead, err := sm4gcm(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("gm: sealed data too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], additional)
}

func sm4gcm(key []byte) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// HashHex is the hex SM3 of s, for storing secrets' fingerprints (session ids, tokens).
func HashHex(s string) string { return hex.EncodeToString(Default.Hash([]byte(s))) }

// MACHex is the hex HMAC-SM3 of data under key.
func MACHex(key, data []byte) string {
	m := Default.NewMAC(key)
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}

// RandomToken returns n random bytes as lowercase hex.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's CSPRNG failing is not recoverable
	}
	return hex.EncodeToString(b)
}
