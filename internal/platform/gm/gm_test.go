package gm

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// GB/T 32905-2016 Appendix A, example 1: SM3("abc").
func TestSM3KnownAnswer(t *testing.T) {
	got := hex.EncodeToString(Default.Hash([]byte("abc")))
	if want := "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"; got != want {
		t.Fatalf("SM3(abc) = %s", got)
	}
}

func TestSM4GCMRoundTripAndTamper(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	sealed, err := Default.Seal(key, []byte("320102199001010014"), []byte("member:1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("320102")) {
		t.Fatal("plaintext visible in sealed data")
	}
	plain, err := Default.Open(key, sealed, []byte("member:1"))
	if err != nil || string(plain) != "320102199001010014" {
		t.Fatalf("open: %q %v", plain, err)
	}
	if _, err := Default.Open(key, sealed, []byte("member:2")); err == nil {
		t.Fatal("wrong additional data accepted")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := Default.Open(key, sealed, []byte("member:1")); err == nil {
		t.Fatal("tampered ciphertext accepted")
	}
}

func TestMACDependsOnKey(t *testing.T) {
	if MACHex([]byte("k1"), []byte("x")) == MACHex([]byte("k2"), []byte("x")) {
		t.Fatal("MAC ignores key")
	}
}
