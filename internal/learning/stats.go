package learning

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// BranchStat is participation and accuracy of one branch over a period — aggregated, never per person.
type BranchStat struct {
	OrgID         int64  `json:"org_id"`
	Name          string `json:"name"`
	Members       int    `json:"members"`       // full and probationary members on the roster
	Participants  int    `json:"participants"`  // of them, members who answered at least once on time
	Answers       int    `json:"answers"`       // on-time answers
	Correct       int    `json:"correct"`       // of those, right
	Participation int    `json:"participation"` // percent of members who took part
	Accuracy      int    `json:"accuracy"`      // percent of on-time answers that were right
}

// Stats is the officers' view of an organisation's subtree.
type Stats struct {
	OrgID    int64        `json:"org_id"`
	From     db.Date      `json:"from"`
	To       db.Date      `json:"to"`
	Branches []BranchStat `json:"branches"`
	// Ranking is filled only when the deployment switched individual rankings on (off by default).
	Ranking []RankLine `json:"ranking,omitempty"`
}

// RankLine is one member in the optional ranking (points = right answers on time).
type RankLine struct {
	Name   string `json:"name"`
	Branch string `json:"branch"`
	Points int    `json:"points"`
}

// BranchStats aggregates the answers of the branches in an organisation's subtree between from and to
// (inclusive; default the last 30 days).
func (s *Service) BranchStats(ctx context.Context, p auth.Principal, orgID int64, from, to string) (Stats, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Stats{}, err
	}
	st := Stats{OrgID: orgID, To: s.today(), Branches: []BranchStat{}}
	st.From = db.DateOf(st.To.AddDate(0, 0, -29))
	f := errs.Fields{}
	for _, x := range []struct {
		v   string
		dst *db.Date
		key string
	}{{from, &st.From, "from"}, {to, &st.To, "to"}} {
		if strings.TrimSpace(x.v) == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, x.v)
		if err != nil {
			f.Add(x.key, "learning.date.invalid")
			continue
		}
		*x.dst = db.DateOf(t)
	}
	if st.To.Before(st.From.Time) {
		f.Add("to", "learning.date.range")
	}
	if err := f.Err(); err != nil {
		return st, err
	}
	path, err := s.auth.OrgPath(ctx, orgID)
	if err != nil {
		return st, err
	}
	rows, err := s.db.Query(ctx, `SELECT o.id, o.name,
		(SELECT COUNT(*) FROM members m WHERE m.org_id = o.id AND m.status IN ('full', 'probationary') AND m.terminal_state = ''),
		(SELECT COUNT(DISTINCT a.member_id) FROM quiz_answers a WHERE a.org_id = o.id AND a.on_time AND a.day BETWEEN ? AND ?),
		(SELECT COUNT(*) FROM quiz_answers a WHERE a.org_id = o.id AND a.on_time AND a.day BETWEEN ? AND ?),
		(SELECT COUNT(*) FROM quiz_answers a WHERE a.org_id = o.id AND a.on_time AND a.correct AND a.day BETWEEN ? AND ?)
		FROM orgs o WHERE o.kind = 'branch' AND o.path LIKE ? AND o.dissolved_on IS NULL ORDER BY o.path`,
		st.From, st.To, st.From, st.To, st.From, st.To, path+"%")
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var b BranchStat
		if err := rows.Scan(&b.OrgID, &b.Name, &b.Members, &b.Participants, &b.Answers, &b.Correct); err != nil {
			return st, err
		}
		if b.Members > 0 {
			b.Participation = min(100, b.Participants*100/b.Members)
		}
		if b.Answers > 0 {
			b.Accuracy = b.Correct * 100 / b.Answers
		}
		st.Branches = append(st.Branches, b)
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	rk, err := s.Rankings(ctx)
	if err != nil || !rk.Enabled {
		return st, err
	}
	rows2, err := s.db.Query(ctx, `SELECT m.name, o.name, COUNT(*) FROM quiz_answers a JOIN members m ON m.id = a.member_id
		JOIN orgs o ON o.id = a.org_id WHERE o.path LIKE ? AND a.on_time AND a.correct AND a.day BETWEEN ? AND ?
		GROUP BY m.id, m.name, o.name ORDER BY COUNT(*) DESC, m.id LIMIT 10`, path+"%", st.From, st.To)
	if err != nil {
		return st, err
	}
	defer rows2.Close()
	for rows2.Next() {
		var l RankLine
		if err := rows2.Scan(&l.Name, &l.Branch, &l.Points); err != nil {
			return st, err
		}
		st.Ranking = append(st.Ranking, l)
	}
	return st, rows2.Err()
}

// RankingSetting is the deployment's switch for individual rankings and points. Off by default: the
// 2023 中央网信委 opinion on 指尖上的形式主义 asks government apps not to force check-ins, points
// rankings or online-time metrics; switching on requires a note that records why.
type RankingSetting struct {
	Enabled bool   `json:"enabled"`
	Note    string `json:"note"`
	SetBy   string `json:"set_by,omitempty"`
}

const rankingKey = "learning.rankings"

// Rankings reads the switch.
func (s *Service) Rankings(ctx context.Context) (RankingSetting, error) {
	var v string
	err := s.db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", rankingKey).Scan(&v)
	if errs.Is(err, errs.NotFound) {
		return RankingSetting{}, nil
	}
	if err != nil {
		return RankingSetting{}, err
	}
	var r RankingSetting
	_ = json.Unmarshal([]byte(v), &r)
	return r, nil
}

// SetRankings switches individual rankings on or off for the whole deployment. Only the 工委 (an org
// administrator of the root organisation) may; switching on needs a note of at least 10 characters.
func (s *Service) SetRankings(ctx context.Context, p auth.Principal, in RankingSetting) (RankingSetting, error) {
	var root int64
	if err := s.db.QueryRow(ctx, "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").Scan(&root); err != nil {
		return RankingSetting{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: root}); err != nil {
		return RankingSetting{}, err
	}
	if p.OrgID != root {
		return RankingSetting{}, errs.E(errs.Forbidden, "learning.rankings.root_only")
	}
	in.Note = strings.TrimSpace(in.Note)
	if in.Enabled && runes(in.Note) < 10 || runes(in.Note) > 500 {
		return RankingSetting{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"note": "learning.rankings.note"}}
	}
	in.SetBy = p.Username
	before, err := s.Rankings(ctx)
	if err != nil {
		return RankingSetting{}, err
	}
	b, _ := json.Marshal(in)
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.clock.Now())
		if _, err := tx.Exec(`INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, rankingKey, string(b), now); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "quiz.rankings", ObjectType: "setting", ObjectID: rankingKey,
			Before: before, After: in, Detail: "enabled=" + map[bool]string{true: "true", false: "false"}[in.Enabled]})
	})
	return in, err
}
