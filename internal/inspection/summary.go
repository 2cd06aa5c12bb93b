package inspection

import (
	"fmt"

	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// countCols are the packed columns of compliance_counts, in the order of orglife.Kinds. Each holds the
// twelve month counts of one kind for one organisation and year, four bits a month (bits 4(m-1)…4m-1),
// saturating at 15 — more than any frequency rule needs, and the exact count stays in compliance_held.
var countCols = func() []string {
	cols := make([]string, len(orglife.Kinds))
	for i, k := range orglife.Kinds {
		cols[i] = string(k) // the column is named after the kind (migration 00008)
	}
	return cols
}()

const nibbleMax = 15

// nibble reads month m (1–12) of a packed column.
func nibble(packed int64, m int) int { return int(packed>>(4*(m-1))) & nibbleMax }

// MeetingsChanged keeps the summaries current inside the records' write transaction (orglife.Listener):
// the copy of each Held fact, the packed month count of its organisation and kind, and the tallies of
// the person rules (lessons given by a lecturer, A2.5; talks by a committee member, A2.9). An error
// aborts the records' write, so the summaries never disagree with the records.
func (s *Service) MeetingsChanged(tx *db.Tx, removed, added []orglife.Held) error {
	for _, h := range removed {
		n, err := tx.ExecN(`DELETE FROM compliance_held WHERE id = (SELECT MIN(id) FROM compliance_held
			WHERE record_id = ? AND org_id = ? AND kind = ? AND held_on = ?)`, h.RecordID, h.OrgID, string(h.Kind), h.On)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("inspection: removed fact of record %d (%s %s) was never added", h.RecordID, h.Kind, h.On)
		}
		if err := s.touch(tx, h, -1); err != nil {
			return err
		}
	}
	for _, h := range added {
		if !h.Kind.Valid() || h.On.IsZero() || h.OrgID == 0 {
			return fmt.Errorf("inspection: incomplete fact %+v", h)
		}
		if _, err := tx.Exec(`INSERT INTO compliance_held (record_id, org_id, kind, held_on, lecturer_id, chair_id)
			VALUES (?, ?, ?, ?, ?, ?)`, h.RecordID, h.OrgID, string(h.Kind), h.On, h.LecturerID, h.ChairID); err != nil {
			return err
		}
		if err := s.touch(tx, h, +1); err != nil {
			return err
		}
	}
	return nil
}

// touch recounts the month of h for its organisation and kind and stores it in the packed column, then
// moves the person tallies by delta.
func (s *Service) touch(tx *db.Tx, h orglife.Held, delta int) error {
	m := MonthOf(h.On.Time)
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM compliance_held WHERE org_id = ? AND kind = ? AND held_on >= ? AND held_on < ?`,
		h.OrgID, string(h.Kind), db.DateOf(m.First()), db.DateOf((m + 1).First())).Scan(&n); err != nil {
		return err
	}
	shift := 4 * (m.Index() - 1)
	v := int64(min(n, nibbleMax)) << shift
	mask := ^(int64(nibbleMax) << shift)
	col := countCols[kindIndex(h.Kind)]
	if _, err := tx.Exec(`INSERT INTO compliance_counts (org_id, year, `+col+`) VALUES (?, ?, ?)
		ON CONFLICT (org_id, year) DO UPDATE SET `+col+` = (compliance_counts.`+col+` & ?) | ?`,
		h.OrgID, m.Year(), v, mask, v); err != nil {
		return err
	}
	switch {
	case h.Kind == orglife.PartyLesson && h.LecturerID != 0:
		return bumpRole(tx, h.LecturerID, m.Year(), roleSecretary, delta)
	case h.Kind == orglife.HeartTalk && h.ChairID != 0:
		return bumpRole(tx, h.ChairID, m.Year(), roleCommittee, delta)
	}
	return nil
}

const (
	roleSecretary = "secretary" // A2.5: a committee's or leading group's secretary gives a lesson a year
	roleCommittee = "committee" // A2.9: a branch committee member has a talk a year
)

// bumpRole moves a person's tally where they hold a role that year and recounts the gaps of those
// organisations. Nothing happens for someone who holds no such role (most lecturers and talkers).
func bumpRole(tx *db.Tx, memberID int64, year int, role string, delta int) error {
	n, err := tx.ExecN("UPDATE compliance_roles SET n = n + ? WHERE member_id = ? AND year = ? AND role = ?", delta, memberID, year, role)
	if err != nil || n == 0 {
		return err
	}
	col := "lesson_gaps"
	if role == roleCommittee {
		col = "talk_gaps"
	}
	_, err = tx.Exec(`UPDATE compliance_facts SET `+col+` = (SELECT COUNT(*) FROM compliance_roles r
		WHERE r.org_id = compliance_facts.org_id AND r.year = compliance_facts.year AND r.role = ? AND r.n <= 0)
		WHERE year = ? AND org_id IN (SELECT org_id FROM compliance_roles WHERE member_id = ? AND year = ? AND role = ?)`,
		role, year, memberID, year, role)
	return err
}
