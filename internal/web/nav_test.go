package web

import (
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// Each menu section appears once, whatever the role: capabilities add entries in their own places in
// navEntries, and a section split in two would show twice.
func TestNavSectionsOnce(t *testing.T) {
	for _, r := range auth.Roles {
		seen := map[string]bool{}
		for _, s := range navFor(auth.Principal{Role: r, OrgID: 1}, "/") {
			if seen[s.Key] {
				t.Errorf("%s: section %s shown twice", r, s.Key)
			}
			seen[s.Key] = true
		}
	}
}
