package rectify

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Meeting is a coordination meeting (集中会办 / 现场办公, seed §4: "以现场办公形式集中研究破解办法"): the
// key difficulties discussed and the decisions taken, each decision a tracked item linked to it.
type Meeting struct {
	ID           int64    `json:"id"`
	Title        string   `json:"title"`
	HeldOn       db.Date  `json:"held_on"`
	Location     string   `json:"location"`
	OrgID        int64    `json:"org_id"`
	OrgName      string   `json:"org_name"`
	Difficulties []string `json:"difficulties"`
	Summary      string   `json:"summary"`
	Items        []Item   `json:"items"`
}

// Decision is one decision of a meeting: it becomes an item.
type Decision struct {
	Decision         string  `json:"decision"`   // what was decided (the item's finding and title)
	Difficulty       string  `json:"difficulty"` // the difficulty it answers (the item's category)
	ResponsibleOrgID int64   `json:"responsible_org_id"`
	ImplementingIDs  []int64 `json:"implementing_org_ids"`
	Owner            string  `json:"owner"` // the responsible person
	DueOn            string  `json:"due_on"`
}

// NewMeeting is a meeting to record with its decisions.
type NewMeeting struct {
	Title        string     `json:"title"`
	HeldOn       string     `json:"held_on"`
	Location     string     `json:"location"`
	OrgID        int64      `json:"org_id"` // the convening organisation, the items' supervisor
	Difficulties []string   `json:"difficulties"`
	Summary      string     `json:"summary"`
	Decisions    []Decision `json:"decisions"`
}

// Difficulties are the key difficulties the seed names, offered on the form.
var Difficulties = []string{"纪检组织建设", "党务干部选配", "活动经费保障", "活动阵地建设", "党员教育管理"}

// RecordMeeting records a meeting and turns each decision into an item supervised by the convening
// organisation, in one transaction. Field problems of decision k are "decisions.k.<field>" (k from 1).
func (s *Service) RecordMeeting(ctx context.Context, p auth.Principal, n NewMeeting) (Meeting, error) {
	n.Title, n.Location, n.Summary = strings.TrimSpace(n.Title), strings.TrimSpace(n.Location), strings.TrimSpace(n.Summary)
	f := errs.Fields{}
	lengths(f, span{"title", n.Title, 2, 200, "rectify.title.length"}, span{"location", n.Location, 0, 100, "rectify.location.length"},
		span{"summary", n.Summary, 0, 4000, "rectify.summary.length"})
	var diffs []string
	for _, d := range n.Difficulties {
		if d = strings.TrimSpace(d); d != "" {
			if !runes(d, 0, 50) {
				f.Add("difficulties", "rectify.category.length")
			}
			diffs = append(diffs, d)
		}
	}
	if len(diffs) == 0 {
		f.Add("difficulties", "rectify.meeting.difficulties_required")
	}
	today := db.DateOf(clock.Today(s.clock))
	held := today
	if v := strings.TrimSpace(n.HeldOn); v == "" {
		f.Add("held_on", validate.KeyRequired)
	} else if t, err := validate.Date(v); err != nil {
		f.Add("held_on", keyOf(err))
	} else if t.After(today.Time) {
		f.Add("held_on", "rectify.date.future")
	} else {
		held = db.DateOf(t)
	}
	if len(n.Decisions) == 0 {
		f.Add("decisions", "rectify.meeting.decisions_required")
	}
	if len(n.Decisions) > 50 {
		f.Add("decisions", "rectify.findings.too_many")
	}
	if n.OrgID <= 0 {
		f.Add("org_id", validate.KeyRequired)
		return Meeting{}, f.Err()
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: n.OrgID}); err != nil {
		return Meeting{}, err
	}
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.meetingTx(tx, p, n, diffs, held, f)
		return err
	})
	if err != nil {
		return Meeting{}, err
	}
	return s.GetMeeting(ctx, p, id)
}

// GetMeeting returns a meeting with the items its decisions became (those the caller may see).
func (s *Service) GetMeeting(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	var m Meeting
	var diffs string
	err := s.db.QueryRow(ctx, `SELECT m.id, m.title, m.held_on, m.location, m.org_id, o.name, m.difficulties, m.summary
		FROM rectify_meetings m JOIN orgs o ON o.id = m.org_id WHERE m.id = ?`, id).
		Scan(&m.ID, &m.Title, &m.HeldOn, &m.Location, &m.OrgID, &m.OrgName, &diffs, &m.Summary)
	if errs.Is(err, errs.NotFound) {
		return Meeting{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Meeting{}, err
	}
	m.Difficulties = strings.Split(diffs, "\n")
	// Officers below the convening organisation see the meeting through the items it gave them.
	items, _, err := s.List(ctx, p, Filter{OrgID: p.OrgID, MeetingID: id, Limit: -1})
	if err != nil {
		return Meeting{}, err
	}
	if len(items) == 0 {
		if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: m.OrgID}); err != nil {
			return Meeting{}, err
		}
	}
	sortByID(items)
	m.Items = items
	return m, nil
}

// MeetingSummary is a line of the list of meetings.
type MeetingSummary struct {
	ID     int64   `json:"id"`
	Title  string  `json:"title"`
	HeldOn db.Date `json:"held_on"`
	Items  int     `json:"items"`
	Closed int     `json:"closed"`
}

// ListMeetings lists the meetings convened by organisations in orgID's subtree, or whose decisions
// reach it.
func (s *Service) ListMeetings(ctx context.Context, p auth.Principal, orgID int64) ([]MeetingSummary, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	path, err := s.auth.OrgPath(ctx, orgID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT m.id, m.title, m.held_on,
		(SELECT COUNT(*) FROM rectify_items i WHERE i.meeting_id = m.id),
		(SELECT COUNT(*) FROM rectify_items i WHERE i.meeting_id = m.id AND i.status = 'closed')
		FROM rectify_meetings m JOIN orgs o ON o.id = m.org_id
		WHERE o.path LIKE ? OR EXISTS (SELECT 1 FROM rectify_items i JOIN orgs ro ON ro.id = i.responsible_org_id
			WHERE i.meeting_id = m.id AND ro.path LIKE ?) OR EXISTS (SELECT 1 FROM rectify_items i JOIN rectify_item_orgs x
			ON x.item_id = i.id JOIN orgs xo ON xo.id = x.org_id WHERE i.meeting_id = m.id AND xo.path LIKE ?)
		ORDER BY m.held_on DESC, m.id DESC LIMIT 100`, path+"%", path+"%", path+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []MeetingSummary{}
	for rows.Next() {
		var ms MeetingSummary
		if err := rows.Scan(&ms.ID, &ms.Title, &ms.HeldOn, &ms.Items, &ms.Closed); err != nil {
			return nil, err
		}
		out = append(out, ms)
	}
	return out, rows.Err()
}

func (s *Service) meetingTx(tx *db.Tx, p auth.Principal, n NewMeeting, diffs []string, held db.Date, f errs.Fields) (int64, error) {
	var id int64
	head := NewItem{SupervisorOrgID: n.OrgID}
	if err := checkOrgs(tx, &head, f); err != nil {
		return 0, err
	}
	if v, ok := f["supervisor_org_id"]; ok {
		delete(f, "supervisor_org_id")
		f.Add("org_id", v)
	}
	if len(f) == 0 {
		var err error
		id, err = tx.Insert(`INSERT INTO rectify_meetings(title, held_on, location, org_id, difficulties, summary, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.Title, held, n.Location, n.OrgID, strings.Join(diffs, "\n"), n.Summary, p.UserID, db.Millis(s.clock.Now()))
		if err != nil {
			return 0, err
		}
		if err := s.trail.Append(tx, audit.Event{Action: "rectify.meeting", ObjectType: "rectification_meeting", ObjectID: id,
			After:  map[string]any{"title": n.Title, "held_on": held.String(), "difficulties": diffs, "decisions": len(n.Decisions)},
			Detail: "seed §4 集中会办"}); err != nil {
			return 0, err
		}
	}
	for k, d := range n.Decisions {
		item := NewItem{Title: firstRunes(d.Decision, 60), Finding: d.Decision, Category: d.Difficulty,
			Source: SourceCoordinationMeeting, SourceRef: fmt.Sprintf("%s 第%d项", n.Title, k+1),
			ResponsibleOrgID: d.ResponsibleOrgID, ImplementingIDs: d.ImplementingIDs, SupervisorOrgID: n.OrgID,
			ResponsiblePerson: d.Owner, DueOn: d.DueOn, meetingID: id, on: held}
		if id != 0 {
			item.sourceLink = "/rectifications/meetings/" + strconv.FormatInt(id, 10)
		}
		sub := errs.Fields{}
		s.check(&item, sub)
		if err := checkOrgs(tx, &item, sub); err != nil {
			return 0, err
		}
		for field, key := range sub {
			switch field {
			case "finding", "title":
				field = "decision"
			case "category":
				field = "difficulty"
			case "responsible_person":
				field = "owner"
			case "supervisor_org_id":
				continue
			}
			f.Add(fmt.Sprintf("decisions.%d.%s", k+1, field), key)
		}
		if len(f) > 0 {
			continue
		}
		if _, err := s.createTx(tx, p, item, errs.Fields{}); err != nil {
			return 0, err
		}
	}
	return id, f.Err()
}

// RecordMeetingTx records a meeting with its decisions inside the caller's transaction (the demo
// loader). The input is trusted to be well-formed; organisations and items are checked as usual.
func (s *Service) RecordMeetingTx(tx *db.Tx, p auth.Principal, n NewMeeting, held db.Date) (int64, error) {
	if err := s.authorizeTx(tx, p, n.OrgID); err != nil {
		return 0, err
	}
	return s.meetingTx(tx, p, n, n.Difficulties, held, errs.Fields{})
}
