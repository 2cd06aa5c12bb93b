// Package i18n holds the message catalogues (zh-Hans first, zh-Hant and en beside it) and the rules for
// picking a language and writing dates. Catalogues are flat JSON files under locales/<lang>/<area>.json,
// one area per capability, merged at start; every key must exist in every language (tested).
package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"golang.org/x/text/language"
)

// Lang is a supported UI language tag.
type Lang string

const (
	ZhHans Lang = "zh-Hans"
	ZhHant Lang = "zh-Hant"
	En     Lang = "en"
)

// Default is the platform's language.
const Default = ZhHans

// Langs lists the supported languages in the order the language switch shows them.
var Langs = []Lang{ZhHans, ZhHant, En}

//go:embed locales
var files embed.FS

// Catalogue maps language → key → text.
type Catalogue struct {
	msgs  map[Lang]map[string]string
	tmpls sync.Map // "lang\x00key" → *template.Template
}

var std = mustLoad(files)

// Std is the platform's embedded catalogue.
func Std() *Catalogue { return std }

func mustLoad(fsys fs.FS) *Catalogue {
	c, err := Load(fsys)
	if err != nil {
		panic(err)
	}
	return c
}

// Load reads locales/<lang>/*.json from fsys. A key defined twice in one language is an error.
func Load(fsys fs.FS) (*Catalogue, error) {
	c := &Catalogue{msgs: map[Lang]map[string]string{}}
	for _, l := range Langs {
		m := map[string]string{}
		dir := path.Join("locales", string(l))
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", dir, err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			raw, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			var part map[string]string
			if err := json.Unmarshal(raw, &part); err != nil {
				return nil, fmt.Errorf("i18n: %s/%s: %w", dir, e.Name(), err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("i18n: %s: key %q defined twice", dir, k)
				}
				m[k] = v
			}
		}
		c.msgs[l] = m
	}
	return c, nil
}

// Keys lists every key of a language, sorted.
func (c *Catalogue) Keys(l Lang) []string {
	keys := make([]string, 0, len(c.msgs[l]))
	for k := range c.msgs[l] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether key exists in language l.
func (c *Catalogue) Has(l Lang, key string) bool { _, ok := c.msgs[l][key]; return ok }

// T translates key into l, filling {{.Name}} placeholders from args. A missing key falls back to the
// default language, then to the key itself (tests make sure that never happens).
func (c *Catalogue) T(l Lang, key string, args map[string]any) string {
	s, ok := c.msgs[l][key]
	if !ok {
		if s, ok = c.msgs[Default][key]; !ok {
			return key
		}
	}
	if !strings.Contains(s, "{{") {
		return s
	}
	id := string(l) + "\x00" + key
	t, ok := c.tmpls.Load(id)
	if !ok {
		parsed, err := template.New(key).Option("missingkey=zero").Parse(s)
		if err != nil {
			return s
		}
		t, _ = c.tmpls.LoadOrStore(id, parsed)
	}
	var b bytes.Buffer
	if err := t.(*template.Template).Execute(&b, args); err != nil {
		return s
	}
	return b.String()
}

var matcher = language.NewMatcher([]language.Tag{
	language.MustParse("zh-Hans"), language.MustParse("zh-Hant"), language.English,
})

// Parse returns the supported language named by s, or "" when s names none.
func Parse(s string) Lang {
	for _, l := range Langs {
		if strings.EqualFold(string(l), s) {
			return l
		}
	}
	return ""
}

// Match picks the UI language: the user's explicit choice first, then the browser's Accept-Language,
// then zh-Hans. zh-TW, zh-HK and zh-MO map to traditional characters.
func Match(choice, acceptLanguage string) Lang {
	if l := Parse(choice); l != "" {
		return l
	}
	if acceptLanguage == "" {
		return Default
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Langs[idx]
}

var enMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date writes a calendar date the way readers of l expect: 2024年3月10日 in Chinese, 10 Mar 2024 in English.
func Date(l Lang, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if l == En {
		return fmt.Sprintf("%d %s %d", t.Day(), enMonths[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// DateTime writes an instant in Asia/Shanghai civil time: 2024年3月10日 14:05.
func DateTime(l Lang, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	return Date(l, t) + " " + t.Format("15:04")
}
