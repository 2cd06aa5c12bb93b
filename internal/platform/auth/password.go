package auth

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Policy is the password policy. The default is the 等保 level-3 one (security-bar.md K1): at least 8
// characters from 3 of the 4 classes, not containing the username, at most 64 characters (no truncation).
// The security administrator can change it; it is stored in settings under PolicyKey.
type Policy struct {
	MinLength  int `json:"min_length"`
	MaxLength  int `json:"max_length"`
	MinClasses int `json:"min_classes"`
	MaxAgeDays int `json:"max_age_days"` // 0 = never expires
}

// PolicyKey is the settings key of the password policy.
const PolicyKey = "auth.password_policy"

// DefaultPolicy is the 等保 policy.
var DefaultPolicy = Policy{MinLength: 8, MaxLength: 64, MinClasses: 3, MaxAgeDays: 90}

// Check returns field messages for a password that breaks the policy.
func (p Policy) Check(username, password string) error {
	n := utf8.RuneCountInString(password)
	var f = errs.Fields{}
	switch {
	case n < p.MinLength:
		f["password"] = "auth.password.too_short"
	case p.MaxLength > 0 && n > p.MaxLength:
		f["password"] = "auth.password.too_long"
	case classes(password) < p.MinClasses:
		f["password"] = "auth.password.classes"
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		f["password"] = "auth.password.contains_username"
	}
	if len(f) == 0 {
		return nil
	}
	return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: f,
		Args: map[string]any{"Min": p.MinLength, "Max": p.MaxLength, "Classes": p.MinClasses}}
}

func classes(s string) int {
	var lower, upper, digit, other bool
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			n++
		}
	}
	return n
}

// argon2id parameters: OWASP's 19 MiB, 2 passes, 1 lane — affordable on a 2-core server during a login burst.
var argonParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword hashes with argon2id.
func HashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, argonParams) }

// dummyHash lets a login for an unknown user take as long as one for a known user. It is made on first
// use: an argon2id hash at package load would cost every process start 150 ms and 19 MiB.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("dummy-password-for-timing")
	return h
})

func checkPassword(pw, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}

// LoadPolicy reads the policy from settings, or the default.
func LoadPolicy(ctx context.Context, d *db.DB) (Policy, error) {
	var raw string
	err := d.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", PolicyKey).Scan(&raw)
	if errs.Is(err, errs.NotFound) {
		return DefaultPolicy, nil
	}
	if err != nil {
		return Policy{}, err
	}
	p := DefaultPolicy
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return DefaultPolicy, nil
	}
	return p, nil
}

// Validate checks that a policy is sane and no weaker than the 等保 floor.
func (p Policy) Validate() error {
	f := errs.Fields{}
	if p.MinLength < 8 || p.MinLength > 64 {
		f.Add("min_length", "auth.policy.min_length")
	}
	if p.MaxLength < p.MinLength || p.MaxLength > 256 {
		f.Add("max_length", "auth.policy.max_length")
	}
	if p.MinClasses < 3 || p.MinClasses > 4 {
		f.Add("min_classes", "auth.policy.min_classes")
	}
	if p.MaxAgeDays < 0 || p.MaxAgeDays > 3650 {
		f.Add("max_age_days", "auth.policy.max_age_days")
	}
	return f.Err()
}
