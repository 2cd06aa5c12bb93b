// Package validate holds the platform's shared input validators: resident ID numbers (GB 11643-1999),
// unified social credit codes (GB 32100-2015 with the embedded GB 11714 organisation code), mainland
// mobile numbers, ISBNs (ISO 2108), calendar dates and text lengths. Rules: RULES.md §H.
//
// Every failure is an *errs.Error with Code errs.Unprocessable and a message key from the validate
// catalogue (internal/platform/i18n/locales/<lang>/validate.json); callers put the key into errs.Fields.
package validate

import (
	"strings"
	"unicode/utf8"

	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Message keys returned by this package. Each one exists in every language's validate.json (tested).
const (
	KeyIDNumberLength    = "validate.id_number.length"
	KeyIDNumberChars     = "validate.id_number.chars"
	KeyIDNumberRegion    = "validate.id_number.region"
	KeyIDNumberBirthDate = "validate.id_number.birth_date"
	KeyIDNumberChecksum  = "validate.id_number.checksum"
	KeyUSCCLength        = "validate.uscc.length"
	KeyUSCCChars         = "validate.uscc.chars"
	KeyUSCCChecksum      = "validate.uscc.checksum"
	KeyUSCCOrgCode       = "validate.uscc.org_code"
	KeyMobileInvalid     = "validate.mobile.invalid"
	KeyDateInvalid       = "validate.date.invalid"
	KeyDateRange         = "validate.date.range"
	KeyRequired          = "validate.required"
	KeyLength            = "validate.length" // Args: Min, Max
	KeyISBNLength        = "validate.isbn.length"
	KeyISBNChars         = "validate.isbn.chars"
	KeyISBNChecksum      = "validate.isbn.checksum"
	KeyISBNPrefix        = "validate.isbn.prefix"
)

// Keys lists every message key this package can return.
func Keys() []string {
	return []string{
		KeyIDNumberLength, KeyIDNumberChars, KeyIDNumberRegion, KeyIDNumberBirthDate, KeyIDNumberChecksum,
		KeyUSCCLength, KeyUSCCChars, KeyUSCCChecksum, KeyUSCCOrgCode,
		KeyMobileInvalid,
		KeyDateInvalid, KeyDateRange,
		KeyRequired, KeyLength,
		KeyISBNLength, KeyISBNChars, KeyISBNChecksum, KeyISBNPrefix,
	}
}

func fail(key string) error { return errs.E(errs.Unprocessable, key) }

// Required fails with validate.required when s is empty after trimming white space.
func Required(s string) error {
	if strings.TrimSpace(s) == "" {
		return fail(KeyRequired)
	}
	return nil
}

// Length checks that s, trimmed of surrounding white space, has between min and max characters
// inclusive. Characters are counted as runes, so a Chinese character counts 1. The error carries
// Args {"Min": min, "Max": max} for the message template.
func Length(s string, min, max int) error {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	if n < min || n > max {
		return &errs.Error{Code: errs.Unprocessable, Key: KeyLength, Args: map[string]any{"Min": min, "Max": max}}
	}
	return nil
}
