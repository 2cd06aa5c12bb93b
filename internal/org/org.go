// Package org is the organisation tree and the member roster. This first cut holds what the foundation
// needs — the tree with its materialised paths (the scope every permission check uses), setting up
// child organisations, members, and subtree counts; lifecycle history, posts and the full roster come
// with the organisations issue.
package org

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Kind is an organisation kind (GLOSSARY.md).
type Kind string

const (
	WorkCommittee       Kind = "work_committee"
	Committee           Kind = "committee"
	GeneralBranch       Kind = "general_branch"
	Branch              Kind = "branch"
	Cell                Kind = "cell"
	LeadingGroup        Kind = "leading_group"
	DisciplineCommittee Kind = "discipline_committee"
)

// Kinds lists the kinds in tree order.
var Kinds = []Kind{WorkCommittee, Committee, GeneralBranch, Branch, Cell, LeadingGroup, DisciplineCommittee}

// allowedParents says under which kinds each kind may be set up. A leading group (党组) and a
// discipline committee (机关纪委) are attached to the committee of the organ they belong to.
var allowedParents = map[Kind][]Kind{
	Committee:           {WorkCommittee},
	GeneralBranch:       {WorkCommittee, Committee},
	Branch:              {WorkCommittee, Committee, GeneralBranch},
	Cell:                {Branch},
	LeadingGroup:        {WorkCommittee, Committee},
	DisciplineCommittee: {WorkCommittee, Committee},
}

// Org is an organisation.
type Org struct {
	ID            int64   `json:"id"`
	ParentID      int64   `json:"parent_id,omitempty"`
	Kind          Kind    `json:"kind"`
	Name          string  `json:"name"`
	Path          string  `json:"-"`
	UnitName      string  `json:"unit_name,omitempty"`
	USCC          string  `json:"unit_credit_code,omitempty"`
	EstablishedOn db.Date `json:"established_on"`
	TermYears     int     `json:"term_years,omitempty"`
	TermStartOn   db.Date `json:"term_start_on"`
	TermEndOn     db.Date `json:"term_end_on"`
	ExtendedToOn  db.Date `json:"extended_to_on"`
	ActivityRoom  string  `json:"activity_room,omitempty"` // independent, shared
	DissolvedOn   db.Date `json:"dissolved_on"`
}

// Live reports whether the organisation has not been dissolved.
func (o Org) Live() bool { return o.DissolvedOn.IsZero() }

// Service is the organisation store with its rules.
type Service struct {
	db    *db.DB
	auth  *auth.Service
	trail *audit.Trail
	clock clock.Clock
	// Rules are the structure rules in force (nil: DefaultRules).
	Rules *StructureRules

	nameIndexOnce sync.Once // member_search.go
	nameIndexed   bool
}

func (s *Service) rules() StructureRules {
	if s.Rules != nil {
		return *s.Rules
	}
	return DefaultRules
}

// NewService wires the service.
func NewService(d *db.DB, a *auth.Service, t *audit.Trail, c clock.Clock) *Service {
	return &Service{db: d, auth: a, trail: t, clock: c}
}

const orgCols = `id, COALESCE(parent_id, 0), kind, name, path, unit_name, uscc, established_on,
	term_years, term_start_on, term_end_on, extended_to_on, activity_room, dissolved_on`

func scanOrg(sc interface{ Scan(...any) error }) (Org, error) {
	var o Org
	err := sc.Scan(&o.ID, &o.ParentID, &o.Kind, &o.Name, &o.Path, &o.UnitName, &o.USCC, &o.EstablishedOn,
		&o.TermYears, &o.TermStartOn, &o.TermEndOn, &o.ExtendedToOn, &o.ActivityRoom, &o.DissolvedOn)
	return o, err
}

// Get returns an organisation the caller may see.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Org, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: id}); err != nil {
		return Org{}, err
	}
	return scanOrg(s.db.QueryRow(ctx, "SELECT "+orgCols+" FROM orgs WHERE id = ?", id))
}

// Children lists the live child organisations of id, by kind then name.
func (s *Service) Children(ctx context.Context, p auth.Principal, id int64) ([]Org, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: id}); err != nil {
		return nil, err
	}
	return scanOrgs(s.db.Query(ctx, liveChildrenSQL, id))
}

const liveChildrenSQL = "SELECT " + orgCols + " FROM orgs WHERE parent_id = ? AND dissolved_on IS NULL ORDER BY id"

// scanOrgs reads every row of a query over orgCols.
func scanOrgs(rows *sql.Rows, err error) ([]Org, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// NewOrg is what Create needs.
type NewOrg struct {
	ParentID      int64  `json:"parent_id"`
	Kind          Kind   `json:"kind"`
	Name          string `json:"name"`
	UnitName      string `json:"unit_name"`
	USCC          string `json:"unit_credit_code"`
	EstablishedOn string `json:"established_on"`
	ActivityRoom  string `json:"activity_room,omitempty"` // independent, shared (optional)
	Reason        string `json:"reason,omitempty"`        // recorded in the establish event
	ApprovalRef   string `json:"approval_ref,omitempty"`
}

// ActivityRooms are the allowed activity room kinds (独立/共享).
var ActivityRooms = []string{"independent", "shared"}

// Create sets up a child organisation under ParentID (org admins, inside their subtree).
func (s *Service) Create(ctx context.Context, p auth.Principal, n NewOrg) (Org, error) {
	if n.ParentID == 0 {
		return Org{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"parent_id": "validate.required"}}
	}
	if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: n.ParentID}); err != nil {
		return Org{}, err
	}
	var o Org
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		o, err = s.createTx(tx, n, p.Username)
		return err
	})
	return o, err
}

// CreateTx validates and inserts an organisation inside tx, with its audit entry. Authorization is the
// caller's job (Create does it; the demo loader runs as the system).
func (s *Service) CreateTx(tx *db.Tx, n NewOrg) (Org, error) { return s.createTx(tx, n, "system") }

func (s *Service) createTx(tx *db.Tx, n NewOrg, actor string) (Org, error) {
	n.Name = strings.TrimSpace(n.Name)
	f := errs.Fields{}
	if err := validate.Length(n.Name, 2, 100); err != nil {
		f.Add("name", keyOf(err))
	}
	if _, ok := allowedParents[n.Kind]; !ok {
		f.Add("kind", "org.kind.invalid")
	}
	o := Org{Kind: n.Kind, Name: n.Name, UnitName: strings.TrimSpace(n.UnitName), ParentID: n.ParentID}
	if n.USCC != "" {
		code, err := validate.USCC(n.USCC)
		if err != nil {
			f.Add("unit_credit_code", keyOf(err))
		}
		o.USCC = code
	}
	if n.EstablishedOn != "" {
		d, err := validate.Date(n.EstablishedOn)
		if err != nil {
			f.Add("established_on", keyOf(err))
		}
		o.EstablishedOn = db.DateOf(d)
	}
	if n.ActivityRoom != "" && !validRoom(n.ActivityRoom) {
		f.Add("activity_room", "org.activity_room.invalid")
	}
	o.ActivityRoom = n.ActivityRoom
	if err := f.Err(); err != nil {
		return Org{}, err
	}
	parent, err := scanOrg(tx.QueryRow("SELECT "+orgCols+" FROM orgs WHERE id = ? AND dissolved_on IS NULL", n.ParentID))
	if errs.Is(err, errs.NotFound) {
		return Org{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"parent_id": "org.parent.unknown"}}
	}
	if err != nil {
		return Org{}, err
	}
	if !kindAllowedUnder(n.Kind, parent.Kind) {
		return Org{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"kind": "org.kind.parent"}}
	}
	now := db.Millis(s.clock.Now())
	// The default term (A3.3; B1 第五条–第七条) runs from the establishment date until the first election
	// is recorded.
	o.TermYears = s.rules().TermYears[o.Kind]
	if o.TermYears > 0 && !o.EstablishedOn.IsZero() {
		o.TermStartOn = o.EstablishedOn
		o.TermEndOn = db.DateOf(addYears(o.EstablishedOn.Time, o.TermYears))
	}
	o.ID, err = tx.Insert(`INSERT INTO orgs(parent_id, kind, name, unit_name, uscc, established_on, term_years,
		term_start_on, term_end_on, activity_room, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, parent.ID, string(o.Kind), o.Name, o.UnitName, o.USCC,
		o.EstablishedOn, o.TermYears, o.TermStartOn, o.TermEndOn, o.ActivityRoom, now, now)
	if err != nil {
		return Org{}, err
	}
	o.Path = parent.Path + strconv.FormatInt(o.ID, 10) + "/"
	if _, err := tx.Exec("UPDATE orgs SET path = ? WHERE id = ?", o.Path, o.ID); err != nil {
		return Org{}, err
	}
	on := o.EstablishedOn
	if on.IsZero() {
		on = db.DateOf(s.clock.Now())
	}
	if err := s.addEvent(tx, o.ID, EventEstablish, on, n.Reason, n.ApprovalRef, nil, snapshotOf(o), actor); err != nil {
		return Org{}, err
	}
	return o, s.trail.Append(tx, audit.Event{Action: "org.create", ObjectType: "org", ObjectID: o.ID, After: o})
}

func validRoom(r string) bool {
	for _, x := range ActivityRooms {
		if x == r {
			return true
		}
	}
	return false
}

func kindAllowedUnder(k, parent Kind) bool {
	for _, p := range allowedParents[k] {
		if p == parent {
			return true
		}
	}
	return false
}

func keyOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Key
	}
	return "error.validation"
}

// Summary counts what lies in an organisation's subtree.
type Summary struct {
	Orgs    map[string]int `json:"orgs"` // by Kind
	Members int            `json:"members"`
	AsOf    time.Time      `json:"-"`
}

// Summarise counts organisations by kind and members in the caller's subtree.
func (s *Service) Summarise(ctx context.Context, p auth.Principal, orgID int64) (Summary, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Summary{}, err
	}
	path, err := s.auth.OrgPath(ctx, orgID)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Orgs: map[string]int{}, AsOf: s.clock.Now()}
	rows, err := s.db.Query(ctx, "SELECT kind, COUNT(*) FROM orgs WHERE path LIKE ? AND dissolved_on IS NULL GROUP BY kind", path+"%")
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return sum, err
		}
		sum.Orgs[k] = n
	}
	if err := rows.Err(); err != nil {
		return sum, err
	}
	err = s.db.QueryRow(ctx, `SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id
		WHERE o.path LIKE ? AND m.status IN ('probationary', 'full') AND m.terminal_state = ''`, path+"%").Scan(&sum.Members)
	return sum, err
}
