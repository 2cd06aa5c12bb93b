package web

import (
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// navSection is one capability in the navigation; later capabilities add their sections here.
type navSection struct {
	Key   string // message key of the section title
	Items []navItem
}

type navItem struct {
	Key    string // message key of the label
	Path   string
	Active bool
}

type navEntry struct {
	section, key string
	path         func(auth.Principal) string
	action       auth.Action
}

// navEntries is the whole menu, by capability (the work of branches first, then learning, reading and
// rectification, then the system). TestNavSectionsOnce keeps each section's entries together.
var navEntries = []navEntry{
	{"nav.section.home", "nav.home", func(auth.Principal) string { return "/" }, ""},
	{"nav.section.home", "nav.notifications", func(auth.Principal) string { return "/notifications" }, ""},
	{"nav.section.branches", "nav.orgs", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) }, auth.ReadBusiness},
	{"nav.section.branches", "member.roster", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/members" }, auth.ReadBusiness},
	{"nav.section.branches", "meetings.nav", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/meetings" }, auth.ReadBusiness},
	{"nav.section.branches", "compliance.nav.calendar", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/compliance" }, auth.ReadBusiness},
	{"nav.section.branches", "compliance.nav.heatmap", func(p auth.Principal) string {
		return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/compliance/heatmap"
	}, auth.ReadBusiness},
	{"nav.section.branches", "inspection.nav", func(auth.Principal) string { return "/inspections" }, auth.ReadBusiness},
	{"nav.section.branches", "dual_life.nav", func(p auth.Principal) string { return "/reports/dual-life?org_id=" + strconv.FormatInt(p.OrgID, 10) }, auth.ReadBusiness},
	{"nav.section.branches", "nav.transfers", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/transfers" }, auth.ReadBusiness},
	{"nav.section.branches", "orgs.checks_subtree_title", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/checks" }, auth.ReadBusiness},
	{"nav.section.branches", "stats.nav", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/stats" }, auth.ReadBusiness},
	{"nav.section.learning", "learning.title", func(auth.Principal) string { return "/learning" }, auth.WriteSelf},
	{"nav.section.learning", "learning.bank", func(auth.Principal) string { return "/learning/questions" }, auth.WriteBusiness},
	{"nav.section.learning", "learning.org_page", func(p auth.Principal) string { return "/orgs/" + strconv.FormatInt(p.OrgID, 10) + "/learning" }, auth.ReadBusiness},
	{"reading.nav.section", "reading.nav.rooms", func(auth.Principal) string { return "/reading" }, auth.ReadSelf},
	{"reading.nav.section", "reading.nav.events", func(auth.Principal) string { return "/reading/events" }, auth.ReadSelf},
	{"reading.nav.section", "reading.nav.reviews", func(auth.Principal) string { return "/reading/reviews" }, auth.ReadSelf},
	{"reading.nav.section", "reading.nav.my", func(auth.Principal) string { return "/reading/my" }, auth.ReadSelf},
	{"reading.nav.section", "reading.nav.stats", func(auth.Principal) string { return "/reading/stats" }, auth.ReadBusiness},
	{"nav.section.rectify", "rectify.nav", func(auth.Principal) string { return "/rectifications" }, auth.ReadBusiness},
	{"nav.section.system", "nav.users", func(auth.Principal) string { return "/admin/users" }, auth.ManageUsers},
	{"nav.section.system", "nav.security", func(auth.Principal) string { return "/security" }, auth.ManageSecurity},
	{"nav.section.system", "nav.audit", func(auth.Principal) string { return "/audit" }, auth.ReadAudit},
}

func navFor(p auth.Principal, current string) []navSection {
	var out []navSection
	best := ""
	for _, e := range navEntries {
		if e.action != "" && !p.Role.Can(e.action) {
			continue
		}
		path := e.path(p)
		if (current == path || (path != "/" && strings.HasPrefix(current, path+"/"))) && len(path) > len(best) {
			best = path
		}
		item := navItem{Key: e.key, Path: path}
		if n := len(out); n > 0 && out[n-1].Key == e.section {
			out[n-1].Items = append(out[n-1].Items, item)
			continue
		}
		out = append(out, navSection{Key: e.section, Items: []navItem{item}})
	}
	// The most specific entry that contains the current page is the active one.
	for i := range out {
		for j := range out[i].Items {
			out[i].Items[j].Active = out[i].Items[j].Path == best
		}
	}
	return out
}
