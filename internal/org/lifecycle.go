package org

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// EventKind is a lifecycle step of an organisation. Organisations are never deleted: each step is kept
// in org_events with its date, reason and approval reference.
type EventKind string

const (
	EventEstablish  EventKind = "establish"
	EventRename     EventKind = "rename"
	EventMove       EventKind = "move"
	EventMerge      EventKind = "merge"      // this organisation was merged into another (and dissolved)
	EventReorganise EventKind = "reorganise" // 调整设置: the kind changed
	EventDissolve   EventKind = "dissolve"   // 撤销
)

// Snapshot is what an event changes: name, parent and kind (and whether the organisation still exists).
type Snapshot struct {
	Name      string `json:"name"`
	ParentID  int64  `json:"parent_id,omitempty"`
	Kind      Kind   `json:"kind"`
	Dissolved bool   `json:"dissolved,omitempty"`
	MergedID  int64  `json:"merged_into,omitempty"`
}

func snapshotOf(o Org) *Snapshot {
	return &Snapshot{Name: o.Name, ParentID: o.ParentID, Kind: o.Kind, Dissolved: !o.DissolvedOn.IsZero()}
}

// Event is one entry of an organisation's history.
type Event struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id"`
	Kind        EventKind `json:"kind"`
	On          db.Date   `json:"on"`
	Reason      string    `json:"reason"`
	ApprovalRef string    `json:"approval_ref"`
	Before      *Snapshot `json:"before,omitempty"`
	After       *Snapshot `json:"after,omitempty"`
	Actor       string    `json:"actor"`
	CreatedAt   time.Time `json:"created_at"`
}

// Change is the request of a lifecycle step: the date, reason and approval reference every step needs,
// and what the step changes (Name for rename, ParentID for move, TargetID for merge, Kind for reorganise).
type Change struct {
	On          string `json:"on"`
	Reason      string `json:"reason"`
	ApprovalRef string `json:"approval_ref"`
	Name        string `json:"name,omitempty"`
	ParentID    int64  `json:"parent_id,omitempty"`
	TargetID    int64  `json:"target_id,omitempty"`
	Kind        Kind   `json:"kind,omitempty"`
}

func (s *Service) addEvent(tx *db.Tx, orgID int64, k EventKind, on db.Date, reason, ref string, before, after *Snapshot, actor string) error {
	enc := func(v *Snapshot) string {
		if v == nil {
			return ""
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	_, err := tx.Insert(`INSERT INTO org_events(org_id, kind, effective_on, reason, approval_ref, before_json, after_json, actor, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, orgID, string(k), on, reason, ref, enc(before), enc(after), actor, db.Millis(s.clock.Now()))
	return err
}

func (s *Service) getTx(tx *db.Tx, id int64) (Org, error) {
	o, err := scanOrg(tx.QueryRow("SELECT "+orgCols+" FROM orgs WHERE id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return Org{}, errs.E(errs.NotFound, "error.not_found")
	}
	return o, err
}

// checkChange validates the common part of a step against the organisation's state inside tx.
func (s *Service) checkChange(tx *db.Tx, o Org, c *Change, f errs.Fields) db.Date {
	c.Reason = strings.TrimSpace(c.Reason)
	c.ApprovalRef = strings.TrimSpace(c.ApprovalRef)
	if err := validate.Length(c.Reason, 2, 500); err != nil {
		f.Add("reason", keyOf(err))
	}
	if err := validate.Length(c.ApprovalRef, 1, 100); err != nil {
		f.Add("approval_ref", keyOf(err))
	}
	var on db.Date
	if d, err := validate.Date(c.On); err != nil {
		f.Add("on", keyOf(err))
	} else {
		on = db.DateOf(d)
		var last db.Date
		// Steps go forward in time. The establish event is left out: it carries the established date when
		// known (checked below) and otherwise only the day the record was made.
		_ = tx.QueryRow("SELECT MAX(effective_on) FROM org_events WHERE org_id = ? AND kind <> 'establish'", o.ID).Scan(&last)
		switch {
		case on.After(db.DateOf(s.clock.Now()).Time):
			f.Add("on", "org.on.future")
		case !last.IsZero() && on.Before(last.Time):
			f.Add("on", "org.on.before_last")
		case !o.EstablishedOn.IsZero() && on.Before(o.EstablishedOn.Time):
			f.Add("on", "org.on.before_established")
		}
	}
	if !o.Live() {
		f.Add("id", "org.dissolved")
	}
	return on
}

// lifecycle authorizes (ManageOrgs on id and on any extra org), loads the organisation and runs step in
// one transaction.
func (s *Service) lifecycle(ctx context.Context, p auth.Principal, id int64, extra []int64, step func(tx *db.Tx, o Org) (Org, error)) (Org, error) {
	for _, oid := range append([]int64{id}, extra...) {
		if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: oid}); err != nil {
			return Org{}, err
		}
	}
	var out Org
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		o, err := s.getTx(tx, id)
		if err != nil {
			return err
		}
		out, err = step(tx, o)
		return err
	})
	return out, err
}

func invalid(field, key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{field: key}}
}

// Rename gives an organisation a new name.
func (s *Service) Rename(ctx context.Context, p auth.Principal, id int64, c Change) (Org, error) {
	return s.lifecycle(ctx, p, id, nil, func(tx *db.Tx, o Org) (Org, error) {
		f := errs.Fields{}
		on := s.checkChange(tx, o, &c, f)
		c.Name = strings.TrimSpace(c.Name)
		if err := validate.Length(c.Name, 2, 100); err != nil {
			f.Add("name", keyOf(err))
		} else if c.Name == o.Name {
			f.Add("name", "org.name.unchanged")
		}
		if err := f.Err(); err != nil {
			return Org{}, err
		}
		before := o
		o.Name = c.Name
		if _, err := tx.Exec("UPDATE orgs SET name = ?, updated_at = ? WHERE id = ?", o.Name, db.Millis(s.clock.Now()), o.ID); err != nil {
			return Org{}, err
		}
		return o, s.record(tx, p, EventRename, on, c, before, o)
	})
}

func (s *Service) record(tx *db.Tx, p auth.Principal, k EventKind, on db.Date, c Change, before, after Org) error {
	b, a := snapshotOf(before), snapshotOf(after)
	if k == EventMerge {
		a.MergedID = c.TargetID
	}
	if err := s.addEvent(tx, after.ID, k, on, c.Reason, c.ApprovalRef, b, a, p.Username); err != nil {
		return err
	}
	return s.trail.Append(tx, audit.Event{Action: "org." + string(k), ObjectType: "org", ObjectID: after.ID, Before: before, After: after})
}

// Move puts an organisation (with its whole subtree) under a new parent. The new parent must be live,
// must not lie inside the moved subtree, and must accept the organisation's kind.
func (s *Service) Move(ctx context.Context, p auth.Principal, id int64, c Change) (Org, error) {
	if c.ParentID == 0 {
		return Org{}, invalid("parent_id", "validate.required")
	}
	return s.lifecycle(ctx, p, id, []int64{c.ParentID}, func(tx *db.Tx, o Org) (Org, error) {
		f := errs.Fields{}
		on := s.checkChange(tx, o, &c, f)
		if err := f.Err(); err != nil {
			return Org{}, err
		}
		if o.ParentID == 0 {
			return Org{}, invalid("id", "org.move.root")
		}
		before := o
		o, err := s.moveTx(tx, o, c.ParentID)
		if err != nil {
			return Org{}, err
		}
		return o, s.record(tx, p, EventMove, on, c, before, o)
	})
}

// moveTx re-parents o under parentID and re-paths its subtree.
func (s *Service) moveTx(tx *db.Tx, o Org, parentID int64) (Org, error) {
	parent, err := s.getTx(tx, parentID)
	if errs.Is(err, errs.NotFound) || (err == nil && !parent.Live()) {
		return Org{}, invalid("parent_id", "org.parent.unknown")
	}
	if err != nil {
		return Org{}, err
	}
	if parent.ID == o.ParentID {
		return Org{}, invalid("parent_id", "org.move.same_parent")
	}
	if strings.HasPrefix(parent.Path, o.Path) {
		return Org{}, invalid("parent_id", "org.move.cycle")
	}
	if !kindAllowedUnder(o.Kind, parent.Kind) {
		return Org{}, invalid("parent_id", "org.kind.parent")
	}
	oldPath, newPath := o.Path, parent.Path+strconv.FormatInt(o.ID, 10)+"/"
	rows, err := tx.Query("SELECT id, path FROM orgs WHERE path LIKE ?", oldPath+"%")
	if err != nil {
		return Org{}, err
	}
	type rp struct {
		id   int64
		path string
	}
	var sub []rp
	for rows.Next() {
		var x rp
		if err := rows.Scan(&x.id, &x.path); err != nil {
			rows.Close()
			return Org{}, err
		}
		sub = append(sub, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Org{}, err
	}
	now := db.Millis(s.clock.Now())
	for _, x := range sub {
		if _, err := tx.Exec("UPDATE orgs SET path = ?, updated_at = ? WHERE id = ?", newPath+strings.TrimPrefix(x.path, oldPath), now, x.id); err != nil {
			return Org{}, err
		}
	}
	if _, err := tx.Exec("UPDATE orgs SET parent_id = ? WHERE id = ?", parent.ID, o.ID); err != nil {
		return Org{}, err
	}
	o.ParentID, o.Path = parent.ID, newPath
	return o, nil
}

// Reorganise (调整设置) changes an organisation's kind, e.g. a branch grown past 50 members becomes a
// general branch (A1.5). The new kind must fit under the parent and over the live children; the term
// length becomes the new kind's default (A3.3).
func (s *Service) Reorganise(ctx context.Context, p auth.Principal, id int64, c Change) (Org, error) {
	return s.lifecycle(ctx, p, id, nil, func(tx *db.Tx, o Org) (Org, error) {
		f := errs.Fields{}
		on := s.checkChange(tx, o, &c, f)
		if _, ok := allowedParents[c.Kind]; !ok {
			f.Add("kind", "org.kind.invalid")
		} else if c.Kind == o.Kind {
			f.Add("kind", "org.kind.unchanged")
		}
		if err := f.Err(); err != nil {
			return Org{}, err
		}
		parent, err := s.getTx(tx, o.ParentID)
		if err != nil || !kindAllowedUnder(c.Kind, parent.Kind) {
			return Org{}, invalid("kind", "org.kind.parent")
		}
		children, err := s.liveChildrenTx(tx, o.ID)
		if err != nil {
			return Org{}, err
		}
		for _, ch := range children {
			if !kindAllowedUnder(ch.Kind, c.Kind) {
				return Org{}, invalid("kind", "org.kind.children")
			}
		}
		before := o
		o.Kind, o.TermYears = c.Kind, s.rules().TermYears[c.Kind]
		if _, err := tx.Exec("UPDATE orgs SET kind = ?, term_years = ?, updated_at = ? WHERE id = ?",
			string(o.Kind), o.TermYears, db.Millis(s.clock.Now()), o.ID); err != nil {
			return Org{}, err
		}
		return o, s.record(tx, p, EventReorganise, on, c, before, o)
	})
}

func (s *Service) liveChildrenTx(tx *db.Tx, id int64) ([]Org, error) {
	return scanOrgs(tx.Query(liveChildrenSQL, id))
}

// liveMembers counts the members still on an organisation's books (home branch or cell; terminal
// states — F8 — excluded).
func liveMembers(tx *db.Tx, id int64) (int, error) {
	var n int
	err := tx.QueryRow("SELECT COUNT(*) FROM members WHERE (org_id = ? OR cell_id = ?) AND terminal_state = ''", id, id).Scan(&n)
	return n, err
}

// Dissolve (撤销) closes an organisation. It is refused while live members or live child organisations
// remain: they must be moved (or the organisation merged) first. Its posts end on the date.
func (s *Service) Dissolve(ctx context.Context, p auth.Principal, id int64, c Change) (Org, error) {
	return s.lifecycle(ctx, p, id, nil, func(tx *db.Tx, o Org) (Org, error) {
		if o.ID == p.OrgID {
			return Org{}, invalid("id", "org.dissolve.own")
		}
		f := errs.Fields{}
		on := s.checkChange(tx, o, &c, f)
		if err := f.Err(); err != nil {
			return Org{}, err
		}
		if o.ParentID == 0 {
			return Org{}, invalid("id", "org.dissolve.root")
		}
		n, err := liveMembers(tx, o.ID)
		if err != nil {
			return Org{}, err
		}
		if n > 0 {
			return Org{}, &errs.Error{Code: errs.Unprocessable, Key: "org.dissolve.has_members", Args: map[string]any{"n": n}}
		}
		children, err := s.liveChildrenTx(tx, o.ID)
		if err != nil {
			return Org{}, err
		}
		if len(children) > 0 {
			return Org{}, &errs.Error{Code: errs.Unprocessable, Key: "org.dissolve.has_children", Args: map[string]any{"n": len(children)}}
		}
		before := o
		if err := s.closeTx(tx, &o, on); err != nil {
			return Org{}, err
		}
		return o, s.record(tx, p, EventDissolve, on, c, before, o)
	})
}

func (s *Service) closeTx(tx *db.Tx, o *Org, on db.Date) error {
	o.DissolvedOn = on
	now := db.Millis(s.clock.Now())
	if _, err := tx.Exec("UPDATE orgs SET dissolved_on = ?, updated_at = ? WHERE id = ?", on, now, o.ID); err != nil {
		return err
	}
	_, err := tx.Exec("UPDATE posts SET to_on = ?, updated_at = ? WHERE org_id = ? AND to_on IS NULL", on, now, o.ID)
	return err
}

// Merge folds an organisation into a target of the same kind: its members and live children move to the
// target, its posts end, and it is dissolved with a merge event.
func (s *Service) Merge(ctx context.Context, p auth.Principal, id int64, c Change) (Org, error) {
	if c.TargetID == 0 {
		return Org{}, invalid("target_id", "validate.required")
	}
	return s.lifecycle(ctx, p, id, []int64{c.TargetID}, func(tx *db.Tx, o Org) (Org, error) {
		if o.ID == p.OrgID {
			return Org{}, invalid("id", "org.dissolve.own")
		}
		f := errs.Fields{}
		on := s.checkChange(tx, o, &c, f)
		if err := f.Err(); err != nil {
			return Org{}, err
		}
		target, err := s.getTx(tx, c.TargetID)
		if err != nil {
			return Org{}, err
		}
		switch {
		case !target.Live():
			return Org{}, invalid("target_id", "org.parent.unknown")
		case target.ID == o.ID || strings.HasPrefix(target.Path, o.Path):
			return Org{}, invalid("target_id", "org.move.cycle")
		case target.Kind != o.Kind:
			return Org{}, invalid("target_id", "org.merge.kind")
		case o.ParentID == 0:
			return Org{}, invalid("id", "org.dissolve.root")
		}
		now := db.Millis(s.clock.Now())
		if o.Kind == Cell {
			// A cell's members keep their home branch as org_id: follow the target cell to its branch.
			if _, err := tx.Exec("UPDATE members SET cell_id = ?, org_id = ?, updated_at = ? WHERE cell_id = ?", target.ID, target.ParentID, now, o.ID); err != nil {
				return Org{}, err
			}
		} else if _, err := tx.Exec("UPDATE members SET org_id = ?, updated_at = ? WHERE org_id = ?", target.ID, now, o.ID); err != nil {
			return Org{}, err
		}
		children, err := s.liveChildrenTx(tx, o.ID)
		if err != nil {
			return Org{}, err
		}
		for _, ch := range children {
			moved, err := s.moveTx(tx, ch, target.ID)
			if err != nil {
				return Org{}, err
			}
			mc := Change{Reason: c.Reason, ApprovalRef: c.ApprovalRef, ParentID: target.ID}
			if err := s.record(tx, p, EventMove, on, mc, ch, moved); err != nil {
				return Org{}, err
			}
		}
		before := o
		if err := s.closeTx(tx, &o, on); err != nil {
			return Org{}, err
		}
		return o, s.record(tx, p, EventMerge, on, c, before, o)
	})
}

// History lists an organisation's lifecycle events, oldest first.
func (s *Service) History(ctx context.Context, p auth.Principal, id int64) ([]Event, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: id}); err != nil {
		return nil, err
	}
	return s.events(ctx, "WHERE org_id = ?", id)
}

func (s *Service) events(ctx context.Context, where string, args ...any) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT id, org_id, kind, effective_on, reason, approval_ref, before_json, after_json, actor, created_at
		FROM org_events `+where+` ORDER BY CASE WHEN kind = 'establish' THEN 0 ELSE 1 END, effective_on, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var b, a string
		var at int64
		if err := rows.Scan(&e.ID, &e.OrgID, &e.Kind, &e.On, &e.Reason, &e.ApprovalRef, &b, &a, &e.Actor, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = db.FromMillis(at)
		if b != "" {
			e.Before = &Snapshot{}
			_ = json.Unmarshal([]byte(b), e.Before)
		}
		if a != "" {
			e.After = &Snapshot{}
			_ = json.Unmarshal([]byte(a), e.After)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// TreeNode is one organisation of a tree as it stood on a date.
type TreeNode struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id,omitempty"`
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	Depth    int    `json:"depth"`
}

// TreeAsOf answers "what did the tree under orgID look like on that date?" from the lifecycle events:
// each organisation's state is the after-snapshot of its last event on or before the date. The nodes
// come in pre-order (parent before children, siblings by id).
func (s *Service) TreeAsOf(ctx context.Context, p auth.Principal, orgID int64, asOf time.Time) ([]TreeNode, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	day := db.DateOf(asOf)
	evs, err := s.events(ctx, "WHERE effective_on <= ?", day)
	if err != nil {
		return nil, err
	}
	state := map[int64]*Snapshot{}
	// An organisation recorded without its establishment date has existed, as far as we know, since
	// before any date asked about: its establish snapshot stands until its first later step.
	undated, err := s.events(ctx, "WHERE kind = 'establish' AND org_id IN (SELECT id FROM orgs WHERE established_on IS NULL)")
	if err != nil {
		return nil, err
	}
	for _, e := range undated {
		if e.After != nil {
			state[e.OrgID] = e.After
		}
	}
	for _, e := range evs {
		if e.After != nil {
			state[e.OrgID] = e.After
		}
	}
	// Organisations set up before the history existed (no events) count with their present state.
	rows, err := s.db.Query(ctx, "SELECT "+orgCols+" FROM orgs WHERE id NOT IN (SELECT org_id FROM org_events)")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if o.EstablishedOn.IsZero() || !o.EstablishedOn.After(day.Time) {
			sn := snapshotOf(o)
			sn.Dissolved = !o.DissolvedOn.IsZero() && !o.DissolvedOn.After(day.Time)
			state[o.ID] = sn
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kids := map[int64][]int64{}
	for id, sn := range state {
		if !sn.Dissolved {
			kids[sn.ParentID] = append(kids[sn.ParentID], id)
		}
	}
	out := []TreeNode{}
	root, ok := state[orgID]
	if !ok || root.Dissolved {
		return out, nil
	}
	var walk func(id int64, depth int)
	walk = func(id int64, depth int) {
		sn := state[id]
		out = append(out, TreeNode{ID: id, ParentID: sn.ParentID, Name: sn.Name, Kind: sn.Kind, Depth: depth})
		ch := kids[id]
		sort.Slice(ch, func(i, j int) bool { return ch[i] < ch[j] })
		for _, c := range ch {
			walk(c, depth+1)
		}
	}
	walk(orgID, 0)
	return out, nil
}

// SetTerm records a new term after an election (from StartOn, for the kind's term length, A3.3) and/or
// an approved postponement of the renewal (ExtendedTo; more than MaxExtensionYears is refused, A3.4).
// A new term clears an earlier extension.
func (s *Service) SetTerm(ctx context.Context, p auth.Principal, id int64, t TermChange) (Org, error) {
	return s.lifecycle(ctx, p, id, nil, func(tx *db.Tx, o Org) (Org, error) {
		f := errs.Fields{}
		start := optDate(t.StartOn, "term_start_on", f)
		ext := optDate(t.ExtendedTo, "extended_to_on", f)
		t.ApprovalRef = strings.TrimSpace(t.ApprovalRef)
		if err := validate.Length(t.ApprovalRef, 1, 100); err != nil {
			f.Add("approval_ref", keyOf(err))
		}
		if start.IsZero() && ext.IsZero() && f["term_start_on"] == "" && f["extended_to_on"] == "" {
			f.Add("term_start_on", "validate.required")
		}
		if !o.Live() {
			f.Add("id", "org.dissolved")
		}
		years := o.TermYears
		if years == 0 {
			f.Add("term_start_on", "org.term.none")
		}
		if err := f.Err(); err != nil {
			return Org{}, err
		}
		before := o
		if !start.IsZero() {
			o.TermStartOn, o.TermEndOn, o.ExtendedToOn = start, db.DateOf(addYears(start.Time, years)), db.Date{}
		}
		if !ext.IsZero() {
			if o.TermEndOn.IsZero() || !ext.After(o.TermEndOn.Time) {
				return Org{}, invalid("extended_to_on", "org.term.extension_before_end")
			}
			if ext.After(addYears(o.TermEndOn.Time, s.rules().MaxExtensionYears)) {
				return Org{}, invalid("extended_to_on", "org.term.extension_too_long")
			}
			o.ExtendedToOn = ext
		}
		if _, err := tx.Exec("UPDATE orgs SET term_start_on = ?, term_end_on = ?, extended_to_on = ?, updated_at = ? WHERE id = ?",
			o.TermStartOn, o.TermEndOn, o.ExtendedToOn, db.Millis(s.clock.Now()), o.ID); err != nil {
			return Org{}, err
		}
		return o, s.trail.Append(tx, audit.Event{Action: "org.term", ObjectType: "org", ObjectID: o.ID, Before: before, After: o, Detail: t.ApprovalRef})
	})
}

// InScope lists the live organisations of the caller's subtree in tree order (targets for move and merge).
func (s *Service) InScope(ctx context.Context, p auth.Principal) ([]Org, error) {
	if p.OrgPath == "" {
		return nil, nil
	}
	return scanOrgs(s.db.Query(ctx, "SELECT "+orgCols+" FROM orgs WHERE path LIKE ? AND dissolved_on IS NULL ORDER BY path LIMIT 1000", p.OrgPath+"%"))
}
