package orglife_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// BenchmarkMeetingWrite measures a meeting write with its attendees on each engine: create (checks
// against the roster and the posts, attendance rows, version, audit) and submit (version, audit, the
// listeners). "bare" is the floor in the same run: one audited insert of a meetings row and its
// attendance rows, without checks or versions. The compliance calendar's upkeep is to be compared
// against "create+submit" (docs/performance.md).
func BenchmarkMeetingWrite(b *testing.B) {
	engines := map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite}
	if dbtest.PGURL() != "" {
		engines["postgres"] = dbtest.Postgres
	}
	for _, name := range []string{"sqlite", "postgres"} {
		open := engines[name]
		if open == nil {
			continue
		}
		for _, n := range []int{10, 30} {
			fx := newFixture(b, open(b))
			br := fx.branch(fmt.Sprintf("基准支部%d", n))
			ms := fx.members(br, n)
			for i, k := range []org.PostKind{org.Secretary, org.DeputySecretary, org.OrganisationMember} {
				fx.post(br, ms[i], k)
			}
			ctx := fx.ctx()
			general := orglife.Input{OrgID: br, Kind: orglife.GeneralMeeting, HeldOn: "2026-03-02", Topic: "基准党员大会", ChairID: ms[0],
				AttendeeIDs: ms[:n-2], Absentees: []orglife.Absentee{{MemberID: ms[n-2], Reason: "出差"}, {MemberID: ms[n-1], Reason: "病假"}}}
			b.Run(fmt.Sprintf("%s/attendees=%d/create+submit", name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					m, err := fx.s.Create(ctx, fx.admin, general)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := fx.s.Submit(ctx, fx.admin, m.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/attendees=%d/bare", name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					err := fx.d.Write(ctx, func(tx *db.Tx) error {
						id, err := tx.Insert(`INSERT INTO meetings(org_id, kind, status, held_on, topic, created_at, updated_at)
							VALUES (?, 'general_meeting', 'submitted', '2026-03-02', '基准', 0, 0)`, br)
						if err != nil {
							return err
						}
						for _, m := range ms {
							if _, err := tx.Exec("INSERT INTO meeting_attendance(meeting_id, member_id, present) VALUES (?, ?, ?)", id, m, true); err != nil {
								return err
							}
						}
						return fx.p.Trail.Append(tx, audit.Event{Action: "bench", ObjectType: "meeting", ObjectID: id})
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	_ = context.Background
}
