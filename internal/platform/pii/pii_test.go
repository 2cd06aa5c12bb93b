package pii

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenLookup(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const id = "11010519491231002X"
	s, err := k.Seal(id, "members.id_number")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, id) {
		t.Fatal("sealed text contains the clear value")
	}
	s2, _ := k.Seal(id, "members.id_number")
	if s == s2 {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	if got, err := k.Open(s, "members.id_number"); err != nil || got != id {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(s, "members.phone"); err == nil {
		t.Error("opened under another associated datum")
	}
	other, _ := GenerateKey()
	if _, err := other.Open(s, "members.id_number"); err == nil {
		t.Error("opened under another key")
	}
	if k.Lookup(id) != k.Lookup(id) || k.Lookup(id) == other.Lookup(id) || len(k.Lookup(id)) != 64 {
		t.Error("Lookup is not a keyed, deterministic 32-byte MAC")
	}
	if v, _ := k.Seal("", "x"); v != "" || k.Lookup("") != "" {
		t.Error("empty values should stay empty")
	}
	if _, err := (Key{}).Seal(id, "x"); err != ErrNoKey {
		t.Errorf("zero key sealed: %v", err)
	}
}

func TestLoadKeyFileAndEnv(t *testing.T) {
	t.Setenv(EnvKey, "")
	os.Unsetenv(EnvKey)
	dir := t.TempDir()
	if _, err := LoadKey(dir, false); err == nil {
		t.Fatal("missing key file accepted without create")
	}
	k1, err := LoadKey(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	k2, err := LoadKey(dir, false)
	if err != nil || k2.Lookup("x") != k1.Lookup("x") {
		t.Fatalf("reloaded key differs: %v", err)
	}
	if err := os.Chmod(filepath.Join(dir, KeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir, false); err == nil {
		t.Error("world-readable key file accepted")
	}
	raw := hex.EncodeToString(append(append([]byte(nil), k1.enc...), k1.mac...))
	t.Setenv(EnvKey, raw)
	k3, err := LoadKey(t.TempDir(), false)
	if err != nil || k3.Lookup("x") != k1.Lookup("x") {
		t.Fatalf("env key: %v", err)
	}
	t.Setenv(EnvKey, "abcd")
	if _, err := LoadKey(dir, false); err == nil {
		t.Error("short env key accepted")
	}
}
