package learning

import (
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/clock"
)

// Per-account token buckets (anti-scraping): a burst, then one request per interval; accounts do not
// share a bucket, so many members answering in the same minute are never throttled by each other.
func TestLimiterPerAccount(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai))
	l := NewLimiter(clk, 5, 12*time.Second)
	steps := []struct {
		name    string
		user    int64
		advance time.Duration
		want    bool
	}{
		{"1st of the burst", 1, 0, true}, {"2nd", 1, 0, true}, {"3rd", 1, 0, true}, {"4th", 1, 0, true}, {"5th", 1, 0, true},
		{"6th refused", 1, 0, false},
		{"another account is not affected", 2, 0, true},
		{"11 s later still refused", 1, 11 * time.Second, false},
		{"12 s later one more", 1, time.Second, true},
		{"and refused again", 1, 0, false},
		{"a minute later the bucket refilled (5 max)", 1, time.Minute, true},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		ok, wait := l.Allow(s.user)
		if ok != s.want {
			t.Fatalf("%s: allowed=%v, want %v", s.name, ok, s.want)
		}
		if !ok && (wait <= 0 || wait > 12*time.Second) {
			t.Fatalf("%s: wait %s", s.name, wait)
		}
	}
}

// StemKey ignores spaces, punctuation, width and case, so the same question typed twice is found.
func TestStemKeyNormalises(t *testing.T) {
	cases := []struct{ a, b string }{
		{"党支部是党的基础组织。", " 党支部 是党的基础组织 "},
		{"党员大会一般每季度召开1次？", "党员大会，一般每季度召开１次?"},
		{"Party branch ABC", "party-branch abc"},
	}
	for _, c := range cases {
		if StemKey(c.a) != StemKey(c.b) {
			t.Errorf("%q and %q differ: %q vs %q", c.a, c.b, StemKey(c.a), StemKey(c.b))
		}
	}
	if StemKey("党员大会每季度1次") == StemKey("党员大会每月1次") {
		t.Error("different stems collide")
	}
}

// Fill-in answers are compared without spaces, punctuation, width or case; several may be accepted.
func TestGradeFillIn(t *testing.T) {
	s := &Service{shuf: []byte("k")}
	q := Question{Kind: Fill, AnswerText: []string{"月", "每月"}}
	for _, c := range []struct {
		in   string
		want bool
	}{{`"月"`, true}, {`" 每月。"`, true}, {`"季度"`, false}} {
		_, ok, err := s.grade(q, nil, []byte(c.in))
		if err != nil || ok != c.want {
			t.Errorf("%s: %v %v", c.in, ok, err)
		}
	}
	if _, _, err := s.grade(q, nil, []byte(`""`)); err == nil {
		t.Error("empty answer accepted")
	}
}
