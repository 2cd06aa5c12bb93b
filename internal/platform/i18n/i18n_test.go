package i18n

import (
	"testing"
	"time"
)

// Every key exists in every catalogue, with a non-empty text (miniflux's rule).
func TestEveryKeyInEveryLanguage(t *testing.T) {
	c := Std()
	all := map[string]bool{}
	for _, l := range Langs {
		for _, k := range c.Keys(l) {
			all[k] = true
		}
	}
	if len(all) == 0 {
		t.Fatal("no messages loaded")
	}
	for k := range all {
		for _, l := range Langs {
			if !c.Has(l, k) {
				t.Errorf("key %q missing in %s", k, l)
			} else if c.T(l, k, nil) == "" {
				t.Errorf("key %q empty in %s", k, l)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		choice, accept string
		want           Lang
	}{
		{"", "", ZhHans},
		{"en", "zh-CN", En},
		{"", "zh-CN,zh;q=0.9", ZhHans},
		{"", "zh-TW", ZhHant},
		{"", "zh-HK,en;q=0.5", ZhHant},
		{"", "en-US,en;q=0.9", En},
		{"", "fr-FR", ZhHans},
		{"xx", "garbage;;", ZhHans},
	}
	for _, c := range cases {
		if got := Match(c.choice, c.accept); got != c.want {
			t.Errorf("Match(%q, %q) = %s, want %s", c.choice, c.accept, got, c.want)
		}
	}
}

func TestChineseDates(t *testing.T) {
	d := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	for l, want := range map[Lang]string{ZhHans: "2024年3月10日", ZhHant: "2024年3月10日", En: "10 Mar 2024"} {
		if got := Date(l, d); got != want {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
}

func TestTemplateArgs(t *testing.T) {
	c := &Catalogue{msgs: map[Lang]map[string]string{ZhHans: {"k": "至少{{.Min}}个字"}}}
	if got := c.T(ZhHans, "k", map[string]any{"Min": 8}); got != "至少8个字" {
		t.Fatal(got)
	}
	if got := c.T(En, "missing", nil); got != "missing" {
		t.Fatal(got)
	}
}
