package org

import (
	"context"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// PostKind is a post in an organisation (GLOSSARY.md).
type PostKind string

const (
	Secretary          PostKind = "secretary"           // 书记
	DeputySecretary    PostKind = "deputy_secretary"    // 副书记
	CommitteeMember    PostKind = "committee_member"    // 委员
	OrganisationMember PostKind = "organisation_member" // 组织委员
	PublicityMember    PostKind = "publicity_member"    // 宣传委员
	DisciplineMember   PostKind = "discipline_member"   // 纪检委员
	CellLeader         PostKind = "cell_leader"         // 党小组组长
)

// PostKinds lists the posts in display order.
var PostKinds = []PostKind{Secretary, DeputySecretary, OrganisationMember, PublicityMember, DisciplineMember, CommitteeMember, CellLeader}

// PostState is where a post holder stands in the A3.2 procedure.
type PostState string

const (
	Elected  PostState = "elected"  // elected, not yet approved or filed
	Approved PostState = "approved" // 书记/副书记: approved by the higher organisation (A3.2)
	Filed    PostState = "filed"    // 委员: filed with the higher organisation (A3.2)
)

// NeedsApproval reports whether a post is in office only once approved (A3.2: 书记 and 副书记 报上级批准).
func (k PostKind) NeedsApproval() bool { return k == Secretary || k == DeputySecretary }

// committeeMember reports whether a post sits on the committee (支委会 / 党委) — everything but a cell leader.
func (k PostKind) committeeMember() bool { return k != CellLeader }

// Post is one holding of a post.
type Post struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id"`
	MemberID    int64     `json:"member_id"`
	MemberName  string    `json:"member_name"`
	Post        PostKind  `json:"post"`
	FromOn      db.Date   `json:"from"`
	ToOn        db.Date   `json:"to"`
	State       PostState `json:"state"`
	ElectedOn   db.Date   `json:"elected_on"`
	ApprovedOn  db.Date   `json:"approved_on"`
	ApprovalRef string    `json:"approval_ref"`
	InOffice    bool      `json:"in_office"` // as at the date asked (A3.2)
}

// InOfficeOn reports whether the holder is in office on day: within from–to (to exclusive) and, for a
// secretary or deputy secretary, approved (A3.2).
func (p Post) InOfficeOn(day time.Time) bool {
	d := db.DateOf(day).Time
	if p.FromOn.After(d) || (!p.ToOn.IsZero() && !p.ToOn.After(d)) {
		return false
	}
	if p.Post.NeedsApproval() {
		return p.State == Approved && !p.ApprovedOn.IsZero() && !p.ApprovedOn.After(d)
	}
	return true
}

// NewPost is what AssignPost needs.
type NewPost struct {
	MemberID    int64     `json:"member_id"`
	Post        PostKind  `json:"post"`
	From        string    `json:"from"`
	State       PostState `json:"state"` // default elected
	ElectedOn   string    `json:"elected_on,omitempty"`
	ApprovedOn  string    `json:"approved_on,omitempty"`
	ApprovalRef string    `json:"approval_ref,omitempty"`
}

func validPost(k PostKind) bool {
	for _, x := range PostKinds {
		if x == k {
			return true
		}
	}
	return false
}

func optDate(s string, field string, f errs.Fields) db.Date {
	if strings.TrimSpace(s) == "" {
		return db.Date{}
	}
	d, err := validate.Date(s)
	if err != nil {
		f.Add(field, keyOf(err))
		return db.Date{}
	}
	return db.DateOf(d)
}

// AssignPost records that a member holds a post in an organisation from a date. The member must belong
// to the organisation (its subtree, or the cell for a cell leader) and be a party member on that date.
func (s *Service) AssignPost(ctx context.Context, p auth.Principal, orgID int64, n NewPost) (Post, error) {
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Post{}, err
	}
	f := errs.Fields{}
	if !validPost(n.Post) {
		f.Add("post", "org.post.invalid")
	}
	if n.State == "" {
		n.State = Elected
	}
	switch {
	case n.State != Elected && n.State != Approved && n.State != Filed:
		f.Add("state", "org.post.state.invalid")
	case n.Post.NeedsApproval() && n.State == Filed:
		f.Add("state", "org.post.state.needs_approval")
	case !n.Post.NeedsApproval() && n.State == Approved:
		f.Add("state", "org.post.state.filed_enough")
	}
	post := Post{OrgID: orgID, MemberID: n.MemberID, Post: n.Post, State: n.State, ApprovalRef: strings.TrimSpace(n.ApprovalRef)}
	if d, err := validate.Date(n.From); err != nil {
		f.Add("from", keyOf(err))
	} else {
		post.FromOn = db.DateOf(d)
	}
	post.ElectedOn = optDate(n.ElectedOn, "elected_on", f)
	post.ApprovedOn = optDate(n.ApprovedOn, "approved_on", f)
	if n.State == Approved {
		if post.ApprovedOn.IsZero() {
			f.Add("approved_on", "validate.required")
		}
		if post.ApprovalRef == "" {
			f.Add("approval_ref", "validate.required")
		}
	}
	if n.MemberID == 0 {
		f.Add("member_id", "validate.required")
	}
	if err := f.Err(); err != nil {
		return Post{}, err
	}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		o, err := s.getTx(tx, orgID)
		if err != nil {
			return err
		}
		if !o.Live() {
			return invalid("org_id", "org.dissolved")
		}
		if (o.Kind == Cell) != (n.Post == CellLeader) {
			return invalid("post", "org.post.kind")
		}
		var mOrg, mCell int64
		var mPath, status, terminal string
		var joined, terminalOn db.Date
		err = tx.QueryRow(`SELECT m.org_id, COALESCE(m.cell_id, 0), o.path, m.status, m.terminal_state, m.joined_on, m.terminal_on, m.name
			FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = ?`, n.MemberID).
			Scan(&mOrg, &mCell, &mPath, &status, &terminal, &joined, &terminalOn, &post.MemberName)
		if errs.Is(err, errs.NotFound) {
			return invalid("member_id", "org.post.member.unknown")
		}
		if err != nil {
			return err
		}
		scope := o.Path
		if o.Kind == DisciplineCommittee || o.Kind == LeadingGroup {
			// A 机关纪委 or 党组 is attached to its committee: its members come from the committee's tree.
			parent, err := s.getTx(tx, o.ParentID)
			if err != nil {
				return err
			}
			scope = parent.Path
		}
		belongs := strings.HasPrefix(mPath, scope) || mCell == o.ID
		if o.Kind == Cell {
			belongs = mCell == o.ID
		}
		if !belongs {
			return invalid("member_id", "org.post.member.elsewhere")
		}
		d := post.FromOn.Time
		if (status != string(Probationary) && status != string(Full)) || (!joined.IsZero() && joined.After(d)) ||
			(terminal != "" && (terminalOn.IsZero() || !terminalOn.After(d))) {
			return invalid("member_id", "org.post.member.not_member")
		}
		var busy int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM posts WHERE org_id = ? AND to_on IS NULL AND (member_id = ? AND post = ? OR ? = 'secretary' AND post = 'secretary' OR ? = 'cell_leader' AND post = 'cell_leader')`,
			orgID, n.MemberID, string(n.Post), string(n.Post), string(n.Post)).Scan(&busy); err != nil {
			return err
		}
		if busy > 0 {
			return &errs.Error{Code: errs.Conflict, Key: "org.post.taken"}
		}
		now := db.Millis(s.clock.Now())
		post.ID, err = tx.Insert(`INSERT INTO posts(org_id, member_id, post, from_on, state, elected_on, approved_on, approval_ref, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, orgID, n.MemberID, string(n.Post), post.FromOn, string(post.State), post.ElectedOn,
			post.ApprovedOn, post.ApprovalRef, now, now)
		if err != nil {
			return err
		}
		post.InOffice = post.InOfficeOn(s.clock.Now())
		return s.trail.Append(tx, audit.Event{Action: "org.post.assign", ObjectType: "post", ObjectID: post.ID, After: post})
	})
	return post, err
}

// PostUpdate approves or files a post, or ends it.
type PostUpdate struct {
	State       PostState `json:"state,omitempty"`
	ApprovedOn  string    `json:"approved_on,omitempty"`
	ApprovalRef string    `json:"approval_ref,omitempty"`
	To          string    `json:"to,omitempty"` // end of the holding (exclusive)
}

// UpdatePost moves a post along A3.2 (elected → approved / filed) or ends it on To.
func (s *Service) UpdatePost(ctx context.Context, p auth.Principal, orgID, postID int64, u PostUpdate) (Post, error) {
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Post{}, err
	}
	var out Post
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		before, err := scanPost(tx.QueryRow("SELECT "+postCols+" FROM posts ps JOIN members m ON m.id = ps.member_id WHERE ps.id = ? AND ps.org_id = ?", postID, orgID))
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "error.not_found")
		}
		if err != nil {
			return err
		}
		out = before
		f := errs.Fields{}
		if u.State != "" {
			switch {
			case u.State == Approved && before.Post.NeedsApproval(), u.State == Filed && !before.Post.NeedsApproval():
				out.State = u.State
			default:
				f.Add("state", "org.post.state.invalid")
			}
			if u.State == Approved {
				out.ApprovedOn = optDate(u.ApprovedOn, "approved_on", f)
				out.ApprovalRef = strings.TrimSpace(u.ApprovalRef)
				if out.ApprovedOn.IsZero() {
					f.Add("approved_on", "validate.required")
				}
				if out.ApprovalRef == "" {
					f.Add("approval_ref", "validate.required")
				}
			}
		}
		if u.To != "" {
			out.ToOn = optDate(u.To, "to", f)
			if !out.ToOn.IsZero() && out.ToOn.Before(out.FromOn.Time) {
				f.Add("to", "org.post.to.before_from")
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec("UPDATE posts SET state = ?, approved_on = ?, approval_ref = ?, to_on = ?, updated_at = ? WHERE id = ?",
			string(out.State), out.ApprovedOn, out.ApprovalRef, out.ToOn, db.Millis(s.clock.Now()), postID); err != nil {
			return err
		}
		out.InOffice = out.InOfficeOn(s.clock.Now())
		return s.trail.Append(tx, audit.Event{Action: "org.post.update", ObjectType: "post", ObjectID: postID, Before: before, After: out})
	})
	return out, err
}

const postCols = `ps.id, ps.org_id, ps.member_id, m.name, ps.post, ps.from_on, ps.to_on, ps.state, ps.elected_on, ps.approved_on, ps.approval_ref`

func scanPost(sc interface{ Scan(...any) error }) (Post, error) {
	var p Post
	err := sc.Scan(&p.ID, &p.OrgID, &p.MemberID, &p.MemberName, &p.Post, &p.FromOn, &p.ToOn, &p.State, &p.ElectedOn, &p.ApprovedOn, &p.ApprovalRef)
	return p, err
}

// Posts lists the posts of an organisation held on asOf (current and pending ones; with all=true also
// ended ones), with InOffice as at asOf.
func (s *Service) Posts(ctx context.Context, p auth.Principal, orgID int64, asOf time.Time, all bool) ([]Post, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	return s.postsOf(ctx, orgID, asOf, all)
}

func (s *Service) postsOf(ctx context.Context, orgID int64, asOf time.Time, all bool) ([]Post, error) {
	q := "SELECT " + postCols + " FROM posts ps JOIN members m ON m.id = ps.member_id WHERE ps.org_id = ?"
	args := []any{orgID}
	if !all {
		day := db.DateOf(asOf)
		q += " AND ps.from_on <= ? AND (ps.to_on IS NULL OR ps.to_on > ?)"
		args = append(args, day, day)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY ps.from_on DESC, ps.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Post{}
	for rows.Next() {
		ps, err := scanPost(rows)
		if err != nil {
			return nil, err
		}
		ps.InOffice = ps.InOfficeOn(asOf)
		out = append(out, ps)
	}
	return out, rows.Err()
}

// PostCandidate is a member who may be given a post in an organisation.
type PostCandidate struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// PostCandidates lists the live party members who may hold a post in orgID (its subtree; for a 机关纪委
// or 党组 the committee's tree; for a cell its members), by name.
func (s *Service) PostCandidates(ctx context.Context, p auth.Principal, orgID int64) ([]PostCandidate, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	o, err := scanOrg(s.db.QueryRow(ctx, "SELECT "+orgCols+" FROM orgs WHERE id = ?", orgID))
	if err != nil {
		return nil, err
	}
	q := `SELECT m.id, m.name FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path LIKE ?`
	arg := any(o.Path + "%")
	switch o.Kind {
	case Cell:
		q, arg = `SELECT m.id, m.name FROM members m WHERE m.cell_id = ?`, o.ID
	case DisciplineCommittee, LeadingGroup:
		var pp string
		if err := s.db.QueryRow(ctx, "SELECT path FROM orgs WHERE id = ?", o.ParentID).Scan(&pp); err != nil {
			return nil, err
		}
		arg = pp + "%"
	}
	rows, err := s.db.Query(ctx, q+` AND m.status IN ('probationary', 'full') AND m.terminal_state = '' ORDER BY m.name_key, m.id LIMIT 500`, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PostCandidate{}
	for rows.Next() {
		var c PostCandidate
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
