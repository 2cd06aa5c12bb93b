package inspection

import (
	"encoding/binary"
	"fmt"

	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// counts are every kind's month counts of one organisation and year, in the order of orglife.Kinds: each
// kind's twelve months four bits apiece (bits 4(m-1)…4m-1), saturating at 15 — more than any frequency
// rule needs; the exact records stay in compliance_held. Stored as 80 bytes (little-endian), so reading a
// whole city is one short row per organisation.
type counts [10]int64

func (c *counts) decode(b []byte) {
	for i := range c {
		if len(b) >= 8*(i+1) {
			c[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
}

func (c *counts) encode() []byte {
	b := make([]byte, 8*len(c))
	for i, v := range c {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return b
}

const nibbleMax = 15

// nibble reads month m (1–12) of a packed column.
func nibble(packed int64, m int) int { return int(packed>>(4*(m-1))) & nibbleMax }

// MeetingsChanged keeps the summaries current inside the records' write transaction (orglife.Listener):
// the copy of each Held fact, the packed month count of its organisation and kind, and the tallies of
// the person rules (lessons given by a lecturer, A2.5; talks by a committee member, A2.9). An error
// aborts the records' write, so the summaries never disagree with the records.
func (s *Service) MeetingsChanged(tx *db.Tx, removed, added []orglife.Held) error {
	for _, h := range removed {
		n, err := tx.ExecN(`DELETE FROM compliance_held WHERE org_id = ? AND kind = ? AND held_on = ? AND record_id = ?`,
			h.OrgID, string(h.Kind), h.On, h.RecordID)
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
		if _, err := tx.Exec(`INSERT INTO compliance_held (org_id, kind, held_on, record_id, lecturer_id, chair_id)
			VALUES (?, ?, ?, ?, ?, ?)`, h.OrgID, string(h.Kind), h.On, h.RecordID, h.LecturerID, h.ChairID); err != nil {
			return err
		}
		if err := s.touch(tx, h, +1); err != nil {
			return err
		}
	}
	return nil
}

// touch moves the month count of h's organisation and kind by delta in the packed summary — recounting
// from compliance_held only when the month is saturated — then moves the person tallies.
func (s *Service) touch(tx *db.Tx, h orglife.Held, delta int) error {
	m := MonthOf(h.On.Time)
	// Read-modify-write of the packed row, locked (PostgreSQL) so two concurrent writes for the same
	// organisation and year queue instead of losing a count; SQLite's writes are serialised already.
	// One statement creates the row if need be and returns it; on PostgreSQL the DO UPDATE also locks it
	// until the write commits.
	var raw []byte
	if err := tx.QueryRow(`INSERT INTO compliance_summaries (org_id, year, packed) VALUES (?, ?, ?)
		ON CONFLICT (org_id, year) DO UPDATE SET packed = compliance_summaries.packed RETURNING packed`,
		h.OrgID, m.Year(), (&counts{}).encode()).Scan(&raw); err != nil {
		return err
	}
	var c counts
	c.decode(raw)
	shift := 4 * (m.Index() - 1)
	k := kindIndex(h.Kind)
	n := nibble(c[k], m.Index()) + delta
	if n < 0 || n >= nibbleMax {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM compliance_held WHERE org_id = ? AND kind = ? AND held_on >= ? AND held_on < ?`,
			h.OrgID, string(h.Kind), db.DateOf(m.First()), db.DateOf((m + 1).First())).Scan(&n); err != nil {
			return err
		}
	}
	c[k] = c[k]&^(int64(nibbleMax)<<shift) | int64(min(n, nibbleMax))<<shift
	if _, err := tx.Exec("UPDATE compliance_summaries SET packed = ? WHERE org_id = ? AND year = ?", c.encode(), h.OrgID, m.Year()); err != nil {
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
	_, err = tx.Exec(`UPDATE compliance_summaries SET `+col+` = (SELECT COUNT(*) FROM compliance_roles r
		WHERE r.org_id = compliance_summaries.org_id AND r.year = compliance_summaries.year AND r.role = ? AND r.n <= 0)
		WHERE year = ? AND org_id IN (SELECT org_id FROM compliance_roles WHERE member_id = ? AND year = ? AND role = ?)`,
		role, year, memberID, year, role)
	return err
}
