package audit

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func unsetKeyEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{EnvKey, EnvSigningKey} {
		t.Setenv(v, "") // restores the old value after the test
		os.Unsetenv(v)
	}
}

func sameKey(a, b Key) bool {
	return bytes.Equal(a.MAC, b.MAC) && a.Signer.Equal(b.Signer)
}

func TestLoadKeyFile(t *testing.T) {
	unsetKeyEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, KeyFile)

	if _, err := LoadKey(dir, false); err == nil {
		t.Fatal("missing key file accepted without create")
	}
	k, err := LoadKey(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	if len(k.MAC) != 32 || k.Signer == nil {
		t.Fatalf("key: %d-byte MAC, signer %v", len(k.MAC), k.Signer != nil)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "BEGIN "+pemMAC) || !strings.Contains(string(data), "BEGIN PRIVATE KEY") {
		t.Fatalf("key file format:\n%s", data)
	}
	again, err := LoadKey(dir, true)
	if err != nil || !sameKey(k, again) {
		t.Fatalf("reload: %v, same %v", err, err == nil && sameKey(k, again))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".audit.key-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o700} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKey(dir, true); err == nil || !strings.Contains(err.Error(), "mode") {
			t.Fatalf("mode %04o: want refusal, got %v", mode, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if k2, err := LoadKey(dir, false); err != nil || !sameKey(k, k2) {
		t.Fatalf("mode 0400: %v", err)
	}
	os.Chmod(path, 0o600)

	for name, content := range map[string]string{
		"empty":       "",
		"garbage":     "not a key",
		"MAC only":    strings.SplitAfter(string(data), "-----END "+pemMAC+"-----\n")[0],
		"trailing":    string(data) + "junk",
		"doubled MAC": strings.SplitAfter(string(data), "-----END "+pemMAC+"-----\n")[0] + string(data),
	} {
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := LoadKey(dir, true); err == nil {
			t.Errorf("%s key file accepted", name)
		}
	}
}

func TestLoadKeyEnvWins(t *testing.T) {
	unsetKeyEnv(t)
	dir := t.TempDir()
	fileKey, err := LoadKey(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	mac := bytes.Repeat([]byte{0x5a}, 32)
	t.Setenv(EnvKey, hex.EncodeToString(mac))
	k, err := LoadKey(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.MAC, mac) || k.Signer.Equal(fileKey.Signer) {
		t.Fatal("the environment did not win over the key file")
	}
	// Derived signing key: deterministic, usable.
	k2, _ := LoadKey(dir, true)
	if !sameKey(k, k2) {
		t.Fatal("derived signing key is not deterministic")
	}
	// Explicit signing key.
	d := "0b" + strings.Repeat("37", 31)
	t.Setenv(EnvSigningKey, d)
	k3, err := LoadKey(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if k3.Signer.Equal(k.Signer) || hex.EncodeToString(k3.Signer.D.FillBytes(make([]byte, 32))) != d {
		t.Fatal("signing key from the environment not used")
	}
	// The keys work: a trail signs and verifies a checkpoint note.
	tr := New(nil, k3, nil)
	note, err := tr.sign(1, otherHex, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ParseNote([]byte(note)); err != nil {
		t.Fatal(err)
	}
	// Directory has no key file needed when the environment is used.
	if _, err := LoadKey(filepath.Join(dir, "nowhere"), false); err != nil {
		t.Fatalf("env key with no key file: %v", err)
	}

	for _, bad := range []struct{ mac, sig string }{
		{"zz", ""},
		{hex.EncodeToString(mac[:31]), ""},
		{hex.EncodeToString(mac), "00"},
		{hex.EncodeToString(mac), strings.Repeat("00", 32)}, // d = 0
		{hex.EncodeToString(mac), strings.Repeat("ff", 32)}, // d ≥ n
	} {
		t.Setenv(EnvKey, bad.mac)
		t.Setenv(EnvSigningKey, bad.sig)
		if _, err := LoadKey(dir, true); err == nil {
			t.Errorf("bad env %q / %q accepted", bad.mac, bad.sig)
		}
	}
	os.Unsetenv(EnvKey)
	t.Setenv(EnvSigningKey, d)
	if _, err := LoadKey(dir, true); err == nil {
		t.Error("signing key without MAC key accepted")
	}
}

func TestNewRejectsBadKey(t *testing.T) {
	for name, k := range map[string]Key{
		"short MAC":  {MAC: make([]byte, 16), Signer: testKey.Signer},
		"no signer":  {MAC: make([]byte, 32)},
		"zero value": {},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New accepted it", name)
				}
			}()
			New(nil, k, nil)
		}()
	}
}
