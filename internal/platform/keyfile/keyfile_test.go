package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCreateThenRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "x.key")
	if err := Create(p, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o", st.Mode().Perm())
	}
	if b, err := Read(p); err != nil || string(b) != "secret" {
		t.Fatalf("read: %q %v", b, err)
	}
	if err := Create(p, []byte("other")); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if b, _ := Read(p); string(b) != "secret" {
		t.Fatal("second create overwrote the key")
	}
}

func TestReadRefusesWideModes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.key")
	os.WriteFile(p, []byte("secret"), 0o644)
	if _, err := Read(p); err == nil {
		t.Fatal("0644 key file accepted")
	}
	os.Chmod(p, 0o400)
	if _, err := Read(p); err != nil {
		t.Fatalf("0400 refused: %v", err)
	}
	if _, err := Read(t.TempDir()); err == nil {
		t.Fatal("directory accepted as key file")
	}
}
