package org

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// dataKeys holds each Service's personal-data key. It sits beside the Service rather than in it so the
// roster could land without touching the tree's file; fold it into Service when both settle.
var dataKeys sync.Map // *Service → pii.Key

// UseDataKey gives the service the key that seals ID and phone numbers (wire.New calls it).
func (s *Service) UseDataKey(k pii.Key) { dataKeys.Store(s, k) }

func (s *Service) dataKey() pii.Key {
	k, _ := dataKeys.Load(s)
	key, _ := k.(pii.Key)
	return key
}

// Associated data of the sealed columns: a value copied into another column does not open.
const (
	adIDNumber = "members.id_number"
	adPhone    = "members.phone"
)

// pinyin is the Chinese collator (CLDR's default for zh is pinyin order). A collator is not safe for
// concurrent use, hence the lock; building one per call costs more than the wait.
var pinyin = struct {
	sync.Mutex
	c   *collate.Collator
	buf collate.Buffer
}{c: collate.New(language.Chinese)}

// NameKey is the pinyin collation key of a name as hex, stored in members.name_key so that SQL on both
// engines sorts the roster by pinyin with a plain ORDER BY (byte order of the key is collation order).
func NameKey(name string) string {
	pinyin.Lock()
	defer pinyin.Unlock()
	k := pinyin.c.KeyFromString(&pinyin.buf, name)
	out := hex.EncodeToString(k)
	pinyin.buf.Reset()
	return out
}

// CheckDataKey opens one sealed ID number with k, so a wrong data key (a restored database with
// another deployment's key, a mistyped DANGJIAN_DATA_KEY) stops the start instead of failing every
// roster page later. An empty roster passes.
func CheckDataKey(ctx context.Context, d *db.DB, k pii.Key) error {
	var sealed string
	err := d.QueryRow(ctx, "SELECT id_number_enc FROM members WHERE id_number_enc <> '' ORDER BY id LIMIT 1").Scan(&sealed)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := k.Open(sealed, adIDNumber); err != nil {
		return fmt.Errorf("the data key does not open the roster's ID numbers (wrong key for this database?): %w", err)
	}
	return nil
}
