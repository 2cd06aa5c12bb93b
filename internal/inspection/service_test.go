package inspection

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// A rule changed mid-year: past periods are judged by the rule in force then (A2.5 is a local rule the
// work committee may tune: quarterly → monthly from July 2024).
func TestA2_5_RuleChangedMidYear(t *testing.T) {
	eachEngine(t, "2024-06-20", func(t *testing.T, f *fx) {
		b := f.branch("2020-01-01")
		f.held(b, orglife.PartyLesson, "2024-02-01") // Q1 met; none in Q2
		off := false
		if _, err := f.svc.Tune(f.ctx, f.admin(), Tuning{RuleID: "A2.5", EffectiveOn: "2024-07-01", Every: Monthly, Reason: "市委组织部要求每月1次"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Tune(f.ctx, f.admin(), Tuning{RuleID: "A2.6", EffectiveOn: "2024-10-01", Enabled: &off, Reason: "试点期间暂停"}); err != nil {
			t.Fatal(err)
		}
		f.held(b, orglife.PartyLesson, "2024-07-10")
		f.clock.Set(time.Date(2025, 1, 5, 9, 0, 0, 0, clock.Shanghai))
		got := f.judged("2024-01", "2024-12")
		for _, c := range []struct {
			rule, period string
			want         Status
		}{
			{"A2.5", "2024-Q1", Met}, {"A2.5", "2024-Q2", Missed}, // quarterly before the change
			{"A2.5", "2024-07", Met}, {"A2.5", "2024-08", Missed}, {"A2.5", "2024-12", Missed}, // monthly after it
			{"A2.5", "2024-Q3", NoRule}, {"A2.5", "2024-Q4", NoRule},
			{"A2.6", "2024-09", Missed}, {"A2.6", "2024-10", NoRule}, // switched off from October
		} {
			if g := got[key(b, c.rule, c.period)]; g != c.want {
				t.Errorf("%s %s: %q, want %q", c.rule, c.period, g, c.want)
			}
		}
		if n := countAudit(t, f, "compliance.rule.tune"); n != 2 {
			t.Errorf("%d tuning audit entries, want 2", n)
		}
	})
}

func countAudit(t *testing.T, f *fx, action string) int {
	var n int
	if err := f.db.QueryRow(f.ctx, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Tuning is for the work committee's administrators only, never in the past, and validated by field.
func TestTuneRules(t *testing.T) {
	eachEngine(t, "2024-06-20", func(t *testing.T, f *fx) {
		committeeAdmin := auth.Principal{UserID: 2, Username: "organ_admin", Role: auth.OrgAdmin, OrgID: f.organ, OrgPath: "/1/2/"}
		if _, err := f.svc.Tune(f.ctx, committeeAdmin, Tuning{RuleID: "A2.5", EffectiveOn: "2024-07-01", Every: Monthly, Reason: "试试"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("committee admin tuned a rule: %v", err)
		}
		for field, tu := range map[string]Tuning{
			"effective_on": {RuleID: "A2.5", EffectiveOn: "2024-05-01", Reason: "过去"},
			"every":        {RuleID: "A2.9", EffectiveOn: "2024-07-01", Every: Monthly, Reason: "谈话"},
			"rule_id":      {RuleID: "Z9", EffectiveOn: "2024-07-01", Reason: "未知"},
			"severity":     {RuleID: "A2.1", EffectiveOn: "2024-07-01", Severity: "fatal", Reason: "严重"},
		} {
			_, err := f.svc.Tune(f.ctx, f.admin(), tu)
			if e, ok := errs.As(err); !ok || e.Fields[field] == "" {
				t.Errorf("%s: %v, want a field error", field, err)
			}
		}
		if n := countAudit(t, f, "compliance.rule.tune"); n != 0 {
			t.Errorf("refused tunings were recorded: %d", n)
		}
	})
}

// The summaries follow corrections: a record removed (or moved to another date) leaves the month it left.
func TestMeetingsChangedCorrections(t *testing.T) {
	eachEngine(t, "2024-05-01", func(t *testing.T, f *fx) {
		b := f.branch("2020-01-01")
		h := f.held(b, orglife.GeneralMeeting, "2024-03-31")
		moved := h
		moved.On = day("2024-04-02")
		f.write(func(tx *db.Tx) error { return f.svc.MeetingsChanged(tx, []orglife.Held{h}, []orglife.Held{moved}) })
		got := f.judged("2024-01", "2024-06")
		if got[key(b, "A2.1", "2024-Q1")] != Missed || got[key(b, "A2.1", "2024-Q2")] != Met {
			t.Errorf("after moving the meeting to April: Q1 %q, Q2 %q", got[key(b, "A2.1", "2024-Q1")], got[key(b, "A2.1", "2024-Q2")])
		}
		// Removing a fact that was never added is a programming error and aborts the write.
		err := f.db.Write(f.ctx, func(tx *db.Tx) error { return f.svc.MeetingsChanged(tx, []orglife.Held{h}, nil) })
		if err == nil {
			t.Error("removing an unknown fact succeeded")
		}
		// 16 meetings in one month saturate the packed count without breaking the neighbours.
		for i := 0; i < 16; i++ {
			f.held(b, orglife.ThemeDay, "2024-02-10")
		}
		f.held(b, orglife.ThemeDay, "2024-03-10")
		var raw []byte
		if err := f.db.QueryRow(f.ctx, "SELECT packed FROM compliance_summaries WHERE org_id = ? AND year = 2024", b).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var c counts
		c.decode(raw)
		packed := c[kindIndex(orglife.ThemeDay)]
		if nibble(packed, 2) != 15 || nibble(packed, 3) != 1 || nibble(packed, 1) != 0 {
			t.Errorf("packed %x", packed)
		}
	})
}

// Large subtrees read refreshed facts; both paths must judge alike, and tallies stay current between
// refreshes.
func TestCachedFactsMatchLive(t *testing.T) {
	eachEngine(t, "2024-12-20", func(t *testing.T, f *fx) {
		b, ms := committeeBranch(f)
		sec := f.members(f.organ, 1, "full", "2015-01-01")[0]
		f.post(f.organ, sec, "secretary", "2020-01-01")
		f.held(b, orglife.HeartTalk, "2024-03-01", ms[0])
		if err := f.svc.RefreshFacts(f.ctx, 0); err != nil {
			t.Fatal(err)
		}
		f.held(b, orglife.PartyLesson, "2024-03-01", sec) // after the refresh
		for _, m := range ms[1:3] {
			f.held(b, orglife.HeartTalk, "2024-04-01", m)
		}
		live := f.judged("2024-01", "2024-12")
		f.svc.LiveLimit = 0
		cached := f.judged("2024-01", "2024-12")
		if len(live) == 0 || len(live) != len(cached) {
			t.Fatalf("live %d judgements, cached %d", len(live), len(cached))
		}
		for k, v := range live {
			if cached[k] != v {
				t.Errorf("%s: live %q, cached %q", k, v, cached[k])
			}
		}
		if live[key(f.organ, "A2.5.secretary", "2024")] != Met || live[key(b, "A2.9", "2024")] != Met {
			t.Errorf("person rules: %q %q", live[key(f.organ, "A2.5.secretary", "2024")], live[key(b, "A2.9", "2024")])
		}
	})
}

// Reminders: officers of a branch with an obligation due within N days get one notification per rule
// and period, however often the job runs; nothing before the lead time, nothing once met.
func TestRemindersDueSoon(t *testing.T) {
	eachEngine(t, "2024-03-15", func(t *testing.T, f *fx) {
		b := f.branch("2020-01-01")
		f.held(b, orglife.ThemeDay, "2024-03-01")
		f.held(b, orglife.ThemeDay, "2024-01-05")
		f.held(b, orglife.ThemeDay, "2024-02-05")
		var officer int64
		f.write(func(tx *db.Tx) error {
			var err error
			officer, err = tx.Insert(`INSERT INTO users (username, password_hash, role, org_id, password_changed_at, created_at)
				VALUES ('officer_b', 'x', 'branch_officer', ?, 0, 0)`, b)
			return err
		})
		n := notify.NewService(f.db, f.trail, f.clock)
		count := func() int {
			var c int
			if err := f.db.QueryRow(f.ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = ?", officer).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := f.svc.Remind(f.ctx, n); err != nil {
			t.Fatal(err)
		}
		if c := count(); c != 0 {
			t.Errorf("16 days before the quarter ends (lead 10): %d notifications", c)
		}
		f.clock.Set(time.Date(2024, 3, 25, 9, 0, 0, 0, clock.Shanghai)) // Q1 ends in 7 days
		for i := 0; i < 3; i++ {
			if _, err := f.svc.Remind(context.Background(), n); err != nil {
				t.Fatal(err)
			}
		}
		var keys []string
		if err := each(poolQuerier{f.ctx, f.db}, "SELECT dedupe_key FROM notifications WHERE user_id = ? ORDER BY dedupe_key", []any{officer}, func(r *sql.Rows) error {
			var k string
			err := r.Scan(&k)
			keys = append(keys, k)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if c := count(); c != 2 { // A2.1 and A2.5 for 2024-Q1; A2.6 March is met
			t.Errorf("notifications %v, want A2.1 and A2.5 for 2024-Q1", keys)
		}
		if err := f.svc.SetRemindDays(f.ctx, f.admin(), 30); err != nil {
			t.Fatal(err)
		}
		if f.svc.RemindDays(f.ctx) != 30 || countAudit(t, f, "compliance.remind_days") != 1 {
			t.Error("lead time not stored and audited")
		}
	})
}

// A campaign's findings are frozen when it runs: correcting the records afterwards changes the calendar,
// not the report; it runs once; manual findings and notes are added by inspectors.
func TestCampaignFrozen(t *testing.T) {
	eachEngine(t, "2024-07-10", func(t *testing.T, f *fx) {
		b := f.branch("2020-01-01")
		f.held(b, orglife.GeneralMeeting, "2024-02-01")
		c, err := f.svc.CreateCampaign(f.ctx, f.admin(), NewCampaign{Name: "2024年上半年三会一课专项检查", OrgID: f.root, From: "2024-01", To: "2024-06", Rules: []string{"A2.1", "A2.6"}})
		if err != nil {
			t.Fatal(err)
		}
		c, err = f.svc.RunCampaign(f.ctx, f.admin(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		summary := func(c Campaign) map[string]int {
			m := map[string]int{}
			for _, x := range c.Findings {
				m[x.RuleID]++
			}
			return m
		}
		before := summary(c)
		if before["A2.1"] != 1 || before["A2.6"] != 6 || len(before) != 2 {
			t.Fatalf("frozen findings %v, want A2.1 Q2 and A2.6 Jan–Jun", before)
		}
		ids := map[int64]bool{}
		for _, x := range c.Findings {
			if x.ID == 0 || ids[x.ID] || x.Evidence == "" || x.Article == "" {
				t.Errorf("finding %+v: needs a stable id, evidence and article", x)
			}
			ids[x.ID] = true
		}
		// Records corrected later: Q2 meeting added.
		f.held(b, orglife.GeneralMeeting, "2024-05-01")
		again, err := f.svc.Campaign(f.ctx, f.admin(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := summary(again); got["A2.1"] != 1 || len(again.Findings) != len(c.Findings) {
			t.Errorf("report changed after a correction: %v", got)
		}
		if f.judged("2024-04", "2024-06")[key(b, "A2.1", "2024-Q2")] != Met {
			t.Error("the calendar did not follow the correction")
		}
		if _, err := f.svc.RunCampaign(f.ctx, f.admin(), c.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("second run: %v, want conflict", err)
		}
		m, err := f.svc.AddFinding(f.ctx, f.admin(), c.ID, ManualFinding{OrgID: b, RuleID: "A2.2", Period: "2024-03", RecordID: 77, Note: "会议记录缺少签到表"})
		if err != nil || m.ID == 0 || m.Evidence != "/meetings/77" {
			t.Errorf("manual finding: %+v %v", m, err)
		}
		if _, err := f.svc.AddFinding(f.ctx, f.admin(), c.ID, ManualFinding{OrgID: b, Period: "2024-13", Note: "x"}); err == nil {
			t.Error("bad period and note accepted")
		}
		if _, err := f.svc.AddNote(f.ctx, f.admin(), c.ID, SpotNote{OrgID: b, RecordID: 77, Body: "抽查了3月支委会记录"}); err != nil {
			t.Error(err)
		}
		// A branch officer elsewhere cannot read it.
		other := auth.Principal{UserID: 9, Role: auth.BranchOfficer, OrgID: b, OrgPath: "/x/"}
		if _, err := f.svc.Campaign(f.ctx, other, c.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("outsider read: %v", err)
		}
	})
}
