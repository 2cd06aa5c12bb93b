package org_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/wire"
)

// roster is a small tree — root, one committee, two branches (B1 with a cell) — and an admin principal.
type roster struct {
	d          *db.DB
	clk        *clock.Fake
	o          *org.Service
	a          *auth.Service
	admin      auth.Principal
	b1, b2, c1 int64
}

var rosterToday = time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai)

func newRoster(t testing.TB, d *db.DB) *roster {
	t.Helper()
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dk, err := pii.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(rosterToday)
	p := wire.New(d, key, dk, clk)
	r := &roster{d: d, clk: clk, o: p.Orgs, a: p.Auth}
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	err = d.Write(ctx, func(tx *db.Tx) error {
		root, err := p.Auth.SetupTx(tx, "示例市直机关工委")
		if err != nil {
			return err
		}
		c, err := p.Orgs.CreateTx(tx, org.NewOrg{ParentID: root, Kind: org.Committee, Name: "示例局机关党委"})
		if err != nil {
			return err
		}
		b1, err := p.Orgs.CreateTx(tx, org.NewOrg{ParentID: c.ID, Kind: org.Branch, Name: "第一党支部"})
		if err != nil {
			return err
		}
		b2, err := p.Orgs.CreateTx(tx, org.NewOrg{ParentID: c.ID, Kind: org.Branch, Name: "第二党支部"})
		if err != nil {
			return err
		}
		c1, err := p.Orgs.CreateTx(tx, org.NewOrg{ParentID: b1.ID, Kind: org.Cell, Name: "第一党小组"})
		if err != nil {
			return err
		}
		r.b1, r.b2, r.c1 = b1.ID, b2.ID, c1.ID
		r.admin = auth.Principal{UserID: 1, Username: "admin", Role: auth.OrgAdmin, OrgID: root, OrgPath: "/" + strconv.FormatInt(root, 10) + "/"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *roster) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 1, Username: "admin"})
}

// valid is a full member of branch 1 whose ID (a demo number) encodes 1985-06-15, male.
func (r *roster) valid() org.NewMember {
	return org.NewMember{Name: "张三", IDNumber: demo.IDNumber(time.Date(1985, 6, 15, 0, 0, 0, 0, time.UTC), 123),
		Ethnicity: "汉族", Phone: "13800001234", Education: "bachelor", OrgID: r.b1, Status: org.Full,
		JoinedOn: "2010-07-01", FullOn: "2011-07-01"}
}

func memberFields(t *testing.T, err error) map[string]string {
	t.Helper()
	e, ok := errs.As(err)
	if !ok {
		t.Fatalf("not an errs.Error: %v", err)
	}
	return e.Fields
}

// H1: the ID number is validated, and the gender and birth date given beside it must agree with it.
func TestH1_IDNumberCrossChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		born := time.Date(1985, 6, 15, 0, 0, 0, 0, time.UTC)
		male, female := demo.IDNumber(born, 123), demo.IDNumber(born, 124)
		bad := male[:17] + string("0123456789X"[(checkCharIndex(male[17])+1)%11])
		cases := []struct {
			name  string
			edit  func(*org.NewMember)
			field string // "" = accepted
			key   string
		}{
			{"H1 valid, gender and birth date taken from the number", func(n *org.NewMember) {}, "", ""},
			{"H1 gender agrees", func(n *org.NewMember) { n.IDNumber, n.Gender = female, "female" }, "", ""},
			{"H1 birth date agrees", func(n *org.NewMember) { n.BirthDate = "1985-06-15" }, "", ""},
			{"H1 lower-case x normalised", func(n *org.NewMember) {
				n.IDNumber = "11010519491231002x"
				n.JoinedOn, n.FullOn = "1970-01-01", "1971-01-01"
			}, "", ""},
			{"H1 wrong check character", func(n *org.NewMember) { n.IDNumber = bad }, "id_number", "validate.id_number.checksum"},
			{"H1 standard's invalid vector", func(n *org.NewMember) { n.IDNumber = "110105194912310021" }, "id_number", "validate.id_number.checksum"},
			{"H1 impossible birth date", func(n *org.NewMember) { n.IDNumber = "110105194902310021" }, "id_number", "validate.id_number.birth_date"},
			{"H1 missing", func(n *org.NewMember) { n.IDNumber = "" }, "id_number", "validate.required"},
			{"H1 17th digit odd but gender female", func(n *org.NewMember) { n.Gender = "female" }, "gender", "member.gender.mismatch"},
			{"H1 17th digit even but gender male", func(n *org.NewMember) { n.IDNumber, n.Gender = female, "male" }, "gender", "member.gender.mismatch"},
			{"H1 birth date differs", func(n *org.NewMember) { n.BirthDate = "1985-06-16" }, "birth_date", "member.birth_date.mismatch"},
			{"H1 birth in the future", func(n *org.NewMember) { n.IDNumber = demo.IDNumber(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 123) }, "id_number", "member.birth_date.future"},
			{"C5.1 confirmed before probation ends", func(n *org.NewMember) { n.FullOn = "2011-06-30" }, "full_on", "member.full_on.probation"},
			{"admitted under 18", func(n *org.NewMember) { n.JoinedOn, n.FullOn = "2003-06-14", "" }, "joined_on", "member.joined_on.age"},
			{"probationary has no full date", func(n *org.NewMember) { n.Status = org.Probationary; n.JoinedOn = "2025-09-01" }, "full_on", "member.full_on.not_full"},
			{"ethnicity outside GB/T 3304", func(n *org.NewMember) { n.Ethnicity = "火星族" }, "ethnicity", "member.ethnicity.unknown"},
			{"bad phone", func(n *org.NewMember) { n.Phone = "12345" }, "phone", "validate.mobile.invalid"},
			{"not a branch", func(n *org.NewMember) { n.OrgID = r.c1 }, "org_id", "member.org.not_branch"},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				n := r.valid()
				n.IDNumber = demo.IDNumber(born, 101+2*i) // distinct valid numbers, male
				if c.name == "H1 valid, gender and birth date taken from the number" || c.field == "gender" || c.name == "H1 birth date differs" || c.name == "H1 birth date agrees" {
					n.IDNumber = male
				}
				c.edit(&n)
				m, err := r.o.CreateMember(r.ctx(), r.admin, n)
				if c.field == "" {
					if err != nil {
						t.Fatalf("refused: %v %v", err, memberFields(t, err))
					}
					if err := r.d.Exec(r.ctx(), "DELETE FROM members WHERE id = ?", m.ID); err != nil {
						t.Fatal(err)
					}
					return
				}
				if err == nil {
					t.Fatalf("accepted, want %s: %s", c.field, c.key)
				}
				if got := memberFields(t, err)[c.field]; got != c.key {
					t.Fatalf("fields %v, want %s: %s", memberFields(t, err), c.field, c.key)
				}
			})
		}
		// Derivation: gender and birth date come from the number when not given.
		m, err := r.o.CreateMember(r.ctx(), r.admin, r.valid())
		if err != nil {
			t.Fatal(err)
		}
		if m.Gender != "male" || m.BirthDate.String() != "1985-06-15" {
			t.Errorf("derived gender %q birth %s", m.Gender, m.BirthDate)
		}
		// The same number twice in the deployment: 409 on id_number, even in another branch.
		n := r.valid()
		n.OrgID = r.b2
		_, err = r.o.CreateMember(r.ctx(), r.admin, n)
		if !errs.Is(err, errs.Conflict) || memberFields(t, err)["id_number"] != "member.id_number.duplicate" {
			t.Errorf("duplicate ID: %v", err)
		}
	})
}

func checkCharIndex(c byte) int { return bytes.IndexByte([]byte("0123456789X"), c) }

// C5.4: party standing counts from confirmation (full_on), or one year after admission when the
// confirmation date is not recorded; only full members have it.
func TestC5_4_PartyStanding(t *testing.T) {
	d := func(s string) db.Date { v, _ := db.ParseDate(s); return v }
	on := func(s string) time.Time { return d(s).Time }
	cases := []struct {
		name             string
		status           org.Status
		joined, full, at string
		want             int
		has              bool
	}{
		{"C5.4 vector: day before the first anniversary", org.Full, "2024-01-10", "", "2026-01-09", 0, true},
		{"C5.4 vector: first anniversary", org.Full, "2024-01-10", "", "2026-01-10", 1, true},
		{"C5.4 confirmed on schedule, full_on recorded", org.Full, "2024-01-10", "2025-01-10", "2026-01-10", 1, true},
		{"C5.4 extended probation counts from its end", org.Full, "2024-01-10", "2025-07-10", "2026-01-10", 0, true},
		{"C5.4 extended probation, anniversary", org.Full, "2024-01-10", "2025-07-10", "2026-07-10", 1, true},
		{"C5.4 before confirmation", org.Full, "2024-01-10", "", "2024-06-01", 0, true},
		{"R0.2 29 February anniversary clamps to 28 February", org.Full, "", "2024-02-29", "2025-02-28", 1, true},
		{"R0.2 29 February, day before", org.Full, "", "2024-02-29", "2025-02-27", 0, true},
		{"C5.4 long standing", org.Full, "1985-07-01", "1986-07-01", "2026-03-10", 39, true},
		{"C5.5 probationary members have no standing", org.Probationary, "2025-09-01", "", "2026-03-10", 0, false},
		{"C5.4 applicants have no standing", org.Applicant, "", "", "2026-03-10", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := org.Standing(c.status, d(c.joined), d(c.full), on(c.at))
			if got != c.want || ok != c.has {
				t.Fatalf("Standing = %d, %v; want %d, %v", got, ok, c.want, c.has)
			}
		})
	}
	// Through the store on both engines: the member as read carries party_standing for today.
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		r.clk.Set(time.Date(2026, 1, 9, 12, 0, 0, 0, clock.Shanghai))
		n := r.valid()
		n.JoinedOn, n.FullOn = "2024-01-10", ""
		m, err := r.o.CreateMember(r.ctx(), r.admin, n)
		if err != nil {
			t.Fatal(err)
		}
		if m.PartyStanding == nil || *m.PartyStanding != 0 {
			t.Fatalf("standing on 2026-01-09: %v", m.PartyStanding)
		}
		r.clk.Set(time.Date(2026, 1, 10, 0, 30, 0, 0, clock.Shanghai)) // just after midnight in Beijing
		got, err := r.o.GetMember(r.ctx(), r.admin, m.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.PartyStanding == nil || *got.PartyStanding != 1 {
			t.Fatalf("standing on 2026-01-10: %v", got.PartyStanding)
		}
	})
}

// The roster lists a subtree in pinyin order, finds any part of a name, filters by status, pages.
func TestListMembersPinyinSearchStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		born := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
		names := []struct {
			name   string
			org    int64
			status org.Status
		}{{"赵六", r.b1, org.Full}, {"安娜", r.b1, org.Full}, {"张三", r.b2, org.Full}, {"李四", r.b1, org.Activist},
			{"王五", r.b1, org.Full}, {"欧阳明华", r.b2, org.Full}}
		for i, x := range names {
			n := r.valid()
			n.Name, n.OrgID, n.Status, n.IDNumber, n.Phone = x.name, x.org, x.status, demo.IDNumber(born, 101+2*i), ""
			if x.status != org.Full {
				n.JoinedOn, n.FullOn = "", ""
			}
			if _, err := r.o.CreateMember(r.ctx(), r.admin, n); err != nil {
				t.Fatalf("%s: %v", x.name, err)
			}
		}
		list := func(f org.MemberFilter) ([]string, int) {
			t.Helper()
			items, total, err := r.o.ListMembers(r.ctx(), r.admin, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range items {
				out = append(out, m.Name)
			}
			return out, total
		}
		root := r.admin.OrgID
		got, total := list(org.MemberFilter{OrgID: root})
		want := []string{"安娜", "李四", "欧阳明华", "王五", "张三", "赵六"} // an, li, ouyang, wang, zhang, zhao
		if total != 6 || !slices.Equal(got, want) {
			t.Errorf("pinyin order: %v (%d), want %v", got, total, want)
		}
		if got, _ := list(org.MemberFilter{OrgID: r.b2}); !slices.Equal(got, []string{"欧阳明华", "张三"}) {
			t.Errorf("subtree of branch 2: %v", got)
		}
		if got, _ := list(org.MemberFilter{OrgID: root, Q: "明"}); !slices.Equal(got, []string{"欧阳明华"}) {
			t.Errorf("middle character search: %v", got)
		}
		if got, _ := list(org.MemberFilter{OrgID: root, Q: "%"}); len(got) != 0 {
			t.Errorf("%% is a wildcard: %v", got)
		}
		if got, _ := list(org.MemberFilter{OrgID: root, Status: "activist"}); !slices.Equal(got, []string{"李四"}) {
			t.Errorf("status filter: %v", got)
		}
		if got, total := list(org.MemberFilter{OrgID: root, Limit: 2, Offset: 2}); total != 6 || !slices.Equal(got, []string{"欧阳明华", "王五"}) {
			t.Errorf("page 2: %v (%d)", got, total)
		}
		items, _, _ := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: root, Q: "安娜"})
		if len(items) != 1 || items[0].IDNumber != "119999********1036"[:6]+"********"+items[0].IDNumber[14:] || items[0].Unmasked {
			t.Errorf("list not masked: %+v", items)
		}
	})
}

// Unmasking is for org admins over the member, and each look is audited; a branch officer elsewhere
// reads nothing and the refusal is audited too.
func TestMemberUnmaskAndScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		n := r.valid()
		m, err := r.o.CreateMember(r.ctx(), r.admin, n)
		if err != nil {
			t.Fatal(err)
		}
		if m.IDNumber != n.IDNumber[:6]+"********"+n.IDNumber[14:] || m.Phone != "138****1234" {
			t.Errorf("masked: %s %s", m.IDNumber, m.Phone)
		}
		count := func(action string) int {
			var c int
			if err := d.QueryRow(r.ctx(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		full, err := r.o.GetMember(r.ctx(), r.admin, m.ID, true)
		if err != nil || full.IDNumber != n.IDNumber || full.Phone != "13800001234" || !full.Unmasked {
			t.Fatalf("unmask: %+v %v", full, err)
		}
		if count("member.unmask") != 1 {
			t.Errorf("unmask not audited once: %d", count("member.unmask"))
		}
		officer2 := auth.Principal{UserID: 2, Username: "o2", Role: auth.BranchOfficer, OrgID: r.b2, OrgPath: rosterPath(t, r, r.b2)}
		officer1 := auth.Principal{UserID: 3, Username: "o1", Role: auth.BranchOfficer, OrgID: r.b1, OrgPath: rosterPath(t, r, r.b1)}
		if _, err := r.o.GetMember(r.ctx(), officer1, m.ID, true); !errs.Is(err, errs.Forbidden) {
			t.Errorf("officer unmasked: %v", err)
		}
		if got, err := r.o.GetMember(r.ctx(), officer1, m.ID, false); err != nil || got.Unmasked {
			t.Errorf("officer of the branch reads masked: %v", err)
		}
		denied := count("authz.denied")
		if _, err := r.o.GetMember(r.ctx(), officer2, m.ID, false); !errs.Is(err, errs.Forbidden) {
			t.Errorf("officer of another branch read: %v", err)
		}
		n2 := r.valid()
		n2.IDNumber = demo.IDNumber(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 111)
		var before int
		_ = d.QueryRow(r.ctx(), "SELECT COUNT(*) FROM members").Scan(&before)
		if _, err := r.o.CreateMember(r.ctx(), officer2, n2); !errs.Is(err, errs.Forbidden) {
			t.Errorf("officer created in another branch: %v", err)
		}
		var after int
		_ = d.QueryRow(r.ctx(), "SELECT COUNT(*) FROM members").Scan(&after)
		if after != before || count("authz.denied") != denied+2 || count("member.unmask") != 1 {
			t.Errorf("members %d→%d, denials %d→%d", before, after, denied, count("authz.denied"))
		}
	})
}

func rosterPath(t testing.TB, r *roster, id int64) string {
	p, err := r.a.OrgPath(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The grep test (issue: personal data protection): after members with known ID and phone numbers are
// saved, neither the SQLite file nor its WAL holds them, in any form a grep would find — nor do the
// audit rows.
func TestPersonalDataNeverStoredInClear(t *testing.T) {
	d := dbtest.SQLite(t)
	r := newRoster(t, d)
	var ids, phones []string
	for i := 0; i < 20; i++ {
		n := r.valid()
		n.Name = "测试" + string(rune('甲'+i))
		n.IDNumber = demo.IDNumber(time.Date(1970+i, 3, 1+i, 0, 0, 0, 0, time.UTC), 301+2*i)
		n.Phone = demo.Phone(9000 + i)
		if _, err := r.o.CreateMember(r.ctx(), r.admin, n); err != nil {
			t.Fatal(err)
		}
		ids, phones = append(ids, n.IDNumber), append(phones, n.Phone)
	}
	// Read and unmask, so reads leave no trace either.
	items, _, err := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: r.admin.OrgID, Limit: 100})
	if err != nil || len(items) != 20 {
		t.Fatalf("list: %d %v", len(items), err)
	}
	if _, err := r.o.GetMember(r.ctx(), r.admin, items[0].ID, true); err != nil {
		t.Fatal(err)
	}
	// The audit rows, as stored.
	rows, err := d.Query(r.ctx(), "SELECT action, object_id, before_digest, after_digest, detail FROM audit_log")
	if err != nil {
		t.Fatal(err)
	}
	var trail bytes.Buffer
	for rows.Next() {
		var a, b, c, e, f string
		if err := rows.Scan(&a, &b, &c, &e, &f); err != nil {
			t.Fatal(err)
		}
		trail.WriteString(a + b + c + e + f + "\n")
	}
	rows.Close()
	files := map[string][]byte{"audit_log rows": trail.Bytes()}
	read := func(label, path string) {
		b, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files[label] = b
	}
	read("database file (open)", d.Path())
	read("WAL (open)", d.Path()+"-wal")
	if len(files["WAL (open)"]) == 0 {
		t.Log("no WAL while open (checkpointed)")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	read("database file (closed)", d.Path())
	read("WAL (closed)", d.Path()+"-wal")
	for label, b := range files {
		for _, s := range append(append([]string{}, ids...), phones...) {
			// The number as text, and in UTF-16 in case some layer stores it that way.
			if bytes.Contains(b, []byte(s)) || bytes.Contains(b, utf16LE(s)) {
				t.Errorf("%s contains %s", label, s)
			}
		}
	}
	// Positive control: names are stored in clear, so the search would have found a clear number.
	if !bytes.Contains(files["database file (closed)"], []byte("测试甲")) {
		t.Fatal("the database file does not contain a stored name: wrong file?")
	}
}

func utf16LE(s string) []byte {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// UpdateMember validates like CreateMember, keeps numbers sent back masked, refuses a duplicate ID and
// a change of branch (that is a transfer, §F4), and audits with masked views.
func TestUpdateMember(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		n := r.valid()
		m, err := r.o.CreateMember(r.ctx(), r.admin, n)
		if err != nil {
			t.Fatal(err)
		}
		other := r.valid()
		other.IDNumber = demo.IDNumber(time.Date(1990, 2, 2, 0, 0, 0, 0, time.UTC), 201)
		if _, err := r.o.CreateMember(r.ctx(), r.admin, other); err != nil {
			t.Fatal(err)
		}
		edit := n
		edit.IDNumber, edit.Phone, edit.Name, edit.Education = m.IDNumber, m.Phone, "张三丰", "master"
		got, err := r.o.UpdateMember(r.ctx(), r.admin, m.ID, edit)
		if err != nil {
			t.Fatal(err)
		}
		full, _ := r.o.GetMember(r.ctx(), r.admin, m.ID, true)
		if got.Name != "张三丰" || full.IDNumber != n.IDNumber || full.Phone != "13800001234" || full.Education != "master" {
			t.Errorf("after update: %+v", full)
		}
		edit.IDNumber = other.IDNumber
		if _, err := r.o.UpdateMember(r.ctx(), r.admin, m.ID, edit); !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate ID on update: %v", err)
		}
		edit.IDNumber, edit.Gender = n.IDNumber, "female"
		if _, err := r.o.UpdateMember(r.ctx(), r.admin, m.ID, edit); memberFields(t, err)["gender"] != "member.gender.mismatch" {
			t.Errorf("H1 on update: %v", err)
		}
		edit.Gender, edit.OrgID = "", r.b2
		if _, err := r.o.UpdateMember(r.ctx(), r.admin, m.ID, edit); memberFields(t, err)["org_id"] != "member.org.use_transfer" {
			t.Errorf("branch change on update: %v", err)
		}
		var updates int
		_ = d.QueryRow(r.ctx(), "SELECT COUNT(*) FROM audit_log WHERE action = 'member.update'").Scan(&updates)
		if updates != 1 {
			t.Errorf("member.update audited %d times", updates)
		}
	})
}

// A wrong data key is found at start, not on the first roster page.
func TestCheckDataKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		other, _ := pii.GenerateKey()
		if err := org.CheckDataKey(context.Background(), d, other); err != nil {
			t.Fatalf("empty roster: %v", err)
		}
		r := newRoster(t, d)
		if _, err := r.o.CreateMember(r.ctx(), r.admin, r.valid()); err != nil {
			t.Fatal(err)
		}
		if err := org.CheckDataKey(context.Background(), d, other); err == nil {
			t.Fatal("a foreign key passed the check")
		}
	})
}
