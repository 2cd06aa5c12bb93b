package orglife

// Who was expected at a record: the roster as it stood on the day the record was held (RULES.md R0.3).
// A member transferred in after the day belonged to the sending organisation then (F4: the member
// stays with the sender until received); one admitted after the day was not yet a member; one who left
// (removed, withdrew, expelled, deceased) before the day no longer was.
//
// The roster and the posts belong to the organisations capability; they are read here inside the
// write transaction, so the expected list and the record agree.

import (
	"sort"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// person is someone on the roster on a day.
type person struct {
	ID           int64
	Name         string
	Full         bool // 正式党员 on the day (R0.3)
	LeadingCadre bool
	CellID       int64
	LeadingGroup int64
}

// orgRow is what the checks need of an organisation.
type orgRow struct {
	ID       int64
	ParentID int64
	Kind     org.Kind
	Name     string
	Path     string
	Live     bool
}

func loadOrg(tx reader, id int64) (orgRow, error) {
	var o orgRow
	var dissolved db.Date
	err := tx.QueryRow("SELECT id, COALESCE(parent_id, 0), kind, name, path, dissolved_on FROM orgs WHERE id = ?", id).
		Scan(&o.ID, &o.ParentID, &o.Kind, &o.Name, &o.Path, &dissolved)
	o.Live = dissolved.IsZero()
	return o, err
}

// membersOn lists the party members (full and probationary) whose organisation on day lay in the
// subtree at path, by id.
func membersOn(tx reader, path string, day time.Time) (map[int64]person, error) {
	d := db.DateOf(day)
	type row struct {
		p        person
		path     string
		included bool
	}
	all := map[int64]*row{}
	// Candidates: everyone placed in the subtree today, and everyone received elsewhere after the day
	// from an organisation of the subtree (two queries, each on an index, rather than one with an OR).
	const cols = `SELECT m.id, m.name, m.status, m.terminal_state, m.joined_on, m.full_on, m.terminal_on,
		m.is_leading_cadre, COALESCE(m.cell_id, 0), COALESCE(m.leading_group_id, 0), o.path`
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{cols + ` FROM orgs o JOIN members m ON m.org_id = o.id WHERE o.path LIKE ?`, []any{path + "%"}},
		{cols + ` FROM transfers t JOIN orgs fo ON fo.id = t.from_org_id JOIN members m ON m.id = t.member_id
			JOIN orgs o ON o.id = m.org_id WHERE t.status = 'received' AND t.received_on > ? AND fo.path LIKE ?`, []any{d, path + "%"}},
	} {
		rows, err := tx.Query(q.sql, q.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r row
			var status, terminal string
			var joined, full, terminalOn db.Date
			if err := rows.Scan(&r.p.ID, &r.p.Name, &status, &terminal, &joined, &full, &terminalOn, &r.p.LeadingCadre,
				&r.p.CellID, &r.p.LeadingGroup, &r.path); err != nil {
				rows.Close()
				return nil, err
			}
			st := org.Status(status)
			switch {
			case st != org.Full && st != org.Probationary:
			case !joined.IsZero() && joined.After(day):
			case terminal != "" && (terminalOn.IsZero() || terminalOn.Before(day)):
			default:
				r.included = true
				r.p.Full = st == org.Full && (full.IsZero() || !full.After(day))
			}
			all[r.p.ID] = &r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// Where each candidate was on the day: the sending organisation of the first transfer received
	// after it, or where they are now. Transfers that touch the subtree are enough: one that neither
	// leaves nor enters it cannot change whether the member was inside.
	trows, err := tx.Query(`SELECT t.member_id, fo.path FROM transfers t JOIN orgs fo ON fo.id = t.from_org_id
		JOIN orgs tg ON tg.id = t.to_org_id
		WHERE t.status = 'received' AND t.received_on > ? AND (fo.path LIKE ? OR tg.path LIKE ?)
		ORDER BY t.member_id, t.received_on, t.id`, d, path+"%", path+"%")
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for trows.Next() {
		var id int64
		var from string
		if err := trows.Scan(&id, &from); err != nil {
			trows.Close()
			return nil, err
		}
		if r := all[id]; r != nil && !seen[id] {
			seen[id] = true
			r.path = from
		}
	}
	trows.Close()
	if err := trows.Err(); err != nil {
		return nil, err
	}
	out := map[int64]person{}
	for id, r := range all {
		if r.included && strings.HasPrefix(r.path, path) {
			out[id] = r.p
		}
	}
	return out, nil
}

// postsOn returns the posts of orgID in office on day (A3.2: a secretary or deputy only once approved).
func postsOn(tx reader, orgID int64, day time.Time) ([]org.Post, error) {
	d := db.DateOf(day)
	rows, err := tx.Query(`SELECT ps.id, ps.member_id, m.name, ps.post, ps.from_on, ps.to_on, ps.state, ps.approved_on
		FROM posts ps JOIN members m ON m.id = ps.member_id WHERE ps.org_id = ? AND ps.from_on <= ? AND (ps.to_on IS NULL OR ps.to_on > ?)`,
		orgID, d, d)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Post
	for rows.Next() {
		p := org.Post{OrgID: orgID}
		if err := rows.Scan(&p.ID, &p.MemberID, &p.MemberName, &p.Post, &p.FromOn, &p.ToOn, &p.State, &p.ApprovedOn); err != nil {
			return nil, err
		}
		if p.InOfficeOn(day) {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// committeeOn returns the members of orgID's committee (every post but a cell leader) in office on day.
func committeeOn(tx reader, orgID int64, day time.Time) (map[int64]org.PostKind, error) {
	ps, err := postsOn(tx, orgID, day)
	if err != nil {
		return nil, err
	}
	out := map[int64]org.PostKind{}
	for _, p := range ps {
		if p.Post == org.CellLeader {
			continue
		}
		// A member holding two posts sits once; the secretary's post wins for the chair check (A2.4).
		if cur, ok := out[p.MemberID]; !ok || rank(p.Post) < rank(cur) {
			out[p.MemberID] = p.Post
		}
	}
	return out, nil
}

func rank(k org.PostKind) int {
	switch k {
	case org.Secretary:
		return 0
	case org.DeputySecretary:
		return 1
	}
	return 2
}

// MinCommittee is the smallest branch committee (A3.1: 3–5 members, as a rule at most 7).
const MinCommittee = 3

// expectedOn is who was expected at a record of kind held by o on day, with the committee when the kind
// has one (committee meetings, and democratic life meetings of a committee).
func expectedOn(tx reader, o orgRow, kind Kind, day time.Time) (map[int64]person, error) {
	switch {
	case kind == CommitteeMeeting || (kind == DemocraticLifeMeeting && o.Kind == org.Committee):
		com, err := committeeOn(tx, o.ID, day)
		if err != nil {
			return nil, err
		}
		if kind == CommitteeMeeting && len(com) < MinCommittee {
			// A secretary (and a deputy) alone are not a committee (A3.1: 正式党员不足7人 → 1 书记,
			// 1 副书记 if necessary; a committee has 3–5 members).
			return map[int64]person{}, nil
		}
		all, err := membersOn(tx, o.Path, day)
		if err != nil {
			return nil, err
		}
		out := map[int64]person{}
		for id := range com {
			if p, ok := all[id]; ok {
				out[id] = p
			}
		}
		return out, nil
	case o.Kind == org.Cell:
		all, err := parentMembers(tx, o, day)
		if err != nil {
			return nil, err
		}
		for id, p := range all {
			if p.CellID != o.ID {
				delete(all, id)
			}
		}
		return all, nil
	case o.Kind == org.LeadingGroup:
		// A 党组's members come from the organ's tree (its parent committee).
		all, err := parentMembers(tx, o, day)
		if err != nil {
			return nil, err
		}
		ps, err := postsOn(tx, o.ID, day)
		if err != nil {
			return nil, err
		}
		holders := map[int64]bool{}
		for _, p := range ps {
			holders[p.MemberID] = true
		}
		for id, p := range all {
			if p.LeadingGroup != o.ID && !holders[id] {
				delete(all, id)
			}
		}
		return all, nil
	}
	return membersOn(tx, o.Path, day)
}

// parentMembers lists the members on day of the organisation o belongs to (a cell's branch, a leading
// group's committee).
func parentMembers(tx reader, o orgRow, day time.Time) (map[int64]person, error) {
	parent, err := loadOrg(tx, o.ParentID)
	if err != nil {
		return nil, err
	}
	return membersOn(tx, parent.Path, day)
}

// sortedIDs lists the keys of m in order (stable output for attendance lists).
func sortedIDs[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
