package auth

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Limits are the session and lockout numbers (等保 8.1.4.1: login failure handling and session timeout).
type Limits struct {
	MaxFailures     int           // failed logins allowed in FailureWindow
	FailureWindow   time.Duration // window counting failures
	LockFor         time.Duration // lockout length
	IdleTimeout     time.Duration // session ends after this long without a request
	AbsoluteTimeout time.Duration // session ends this long after login, however active
	TouchEvery      time.Duration // how often last_seen is written (saves a write per request)
}

// DefaultLimits: 5 failures in 15 minutes lock the account for 30 minutes; sessions idle out after 30
// minutes and end after 12 hours.
var DefaultLimits = Limits{MaxFailures: 5, FailureWindow: 15 * time.Minute, LockFor: 30 * time.Minute,
	IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour, TouchEvery: time.Minute}

// Service holds accounts, sessions and tokens.
type Service struct {
	db     *db.DB
	trail  *audit.Trail
	clock  clock.Clock
	limits Limits
}

// NewService wires the service.
func NewService(d *db.DB, t *audit.Trail, c clock.Clock, l Limits) *Service {
	return &Service{db: d, trail: t, clock: c, limits: l}
}

// Principal is the caller of a request: who, with which role, over which part of the org tree.
type Principal struct {
	UserID   int64
	Username string
	Role     Role
	OrgID    int64
	OrgPath  string // materialised path of OrgID, e.g. "/1/7/"
	OrgName  string
	MemberID int64 // 0 when the account is not linked to a member
	Locale   string
	// SessionHash identifies the session (empty for token requests).
	SessionHash string
	// PasswordExpired is set on sessions whose password is older than the policy allows: such a user
	// may only change the password (等保 8.1.4.1 a: 定期更换).
	PasswordExpired bool

	passwordChangedAt int64
}

// Actor turns the principal into the audit actor of a request.
func (p Principal) Actor(ip, requestID string) audit.Actor {
	return audit.Actor{UserID: p.UserID, Username: p.Username, Role: string(p.Role), ClientIP: ip, RequestID: requestID}
}

// User is an account as stored.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Role     Role   `json:"role"`
	OrgID    int64  `json:"org_id"`
	MemberID int64  `json:"member_id,omitempty"`
	Disabled bool   `json:"disabled"`
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Username string
	Password string
	Role     Role
	OrgID    int64
	MemberID int64
}

func validUsername(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// CreateUser adds an account in its own transaction.
func (s *Service) CreateUser(ctx context.Context, u NewUser) (int64, error) {
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.CreateUserTx(tx, u)
		return err
	})
	return id, err
}

// CreateUserTx adds an account inside tx (setup and the demo loader create accounts with other rows).
func (s *Service) CreateUserTx(tx *db.Tx, u NewUser) (int64, error) {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	f := errs.Fields{}
	if !validUsername(u.Username) {
		f.Add("username", "auth.username.invalid")
	}
	if !u.Role.Valid() {
		f.Add("role", "auth.role.invalid")
	}
	if u.Role == Member && u.MemberID == 0 {
		f.Add("member_id", "auth.member.required")
	}
	if err := f.Err(); err != nil {
		return 0, err
	}
	pol, err := policyTx(tx)
	if err != nil {
		return 0, err
	}
	if err := pol.Check(u.Username, u.Password); err != nil {
		return 0, err
	}
	var orgOK int
	if err := tx.QueryRow("SELECT COUNT(*) FROM orgs WHERE id = ?", u.OrgID).Scan(&orgOK); err != nil {
		return 0, err
	}
	if orgOK == 0 {
		return 0, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"org_id": "auth.org.unknown"}}
	}
	if u.MemberID != 0 {
		var memberOrg string
		err := tx.QueryRow("SELECT o.path FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = ?", u.MemberID).Scan(&memberOrg)
		if errs.Is(err, errs.NotFound) {
			return 0, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"member_id": "auth.member.unknown"}}
		}
		if err != nil {
			return 0, err
		}
	}
	hash, err := HashPassword(u.Password)
	if err != nil {
		return 0, err
	}
	now := db.Millis(s.clock.Now())
	var member any
	if u.MemberID != 0 {
		member = u.MemberID
	}
	id, err := tx.Insert(`INSERT INTO users(username, password_hash, role, org_id, member_id, password_changed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Username, hash, string(u.Role), u.OrgID, member, now, now)
	if errs.Is(err, errs.Conflict) {
		return 0, &errs.Error{Code: errs.Conflict, Key: "auth.username.taken", Fields: map[string]string{"username": "auth.username.taken"}, Err: err}
	}
	if err != nil {
		return 0, err
	}
	after := User{ID: id, Username: u.Username, Role: u.Role, OrgID: u.OrgID, MemberID: u.MemberID}
	return id, s.trail.Append(tx, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: id, After: after})
}

func policyTx(tx *db.Tx) (Policy, error) {
	var raw string
	err := tx.QueryRow("SELECT value FROM settings WHERE key = ?", PolicyKey).Scan(&raw)
	if errs.Is(err, errs.NotFound) {
		return DefaultPolicy, nil
	}
	if err != nil {
		return Policy{}, err
	}
	p := DefaultPolicy
	_ = json.Unmarshal([]byte(raw), &p)
	return p, nil
}

// SetPolicy replaces the password policy (security administrator).
func (s *Service) SetPolicy(ctx context.Context, p Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	raw, _ := json.Marshal(p)
	return s.db.Write(ctx, func(tx *db.Tx) error {
		before, err := policyTx(tx)
		if err != nil {
			return err
		}
		now := db.Millis(s.clock.Now())
		if _, err := tx.Exec(`INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, PolicyKey, string(raw), now); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "security.policy_update", ObjectType: "setting", ObjectID: PolicyKey, Before: before, After: p})
	})
}

// Setup creates the root organisation (a work committee) and its first administrator on an empty
// database. It refuses once any organisation exists.
func (s *Service) Setup(ctx context.Context, orgName, username, password string) (int64, error) {
	orgName = strings.TrimSpace(orgName)
	if orgName == "" {
		return 0, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"org_name": "validate.required"}}
	}
	var orgID int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		orgID, err = s.SetupTx(tx, orgName)
		if err != nil {
			return err
		}
		_, err = s.CreateUserTx(tx, NewUser{Username: username, Password: password, Role: OrgAdmin, OrgID: orgID})
		return err
	})
	return orgID, err
}

// SetupTx creates the root organisation inside tx, refusing when one exists.
func (s *Service) SetupTx(tx *db.Tx, orgName string) (int64, error) {
	var n int
	if err := tx.QueryRow("SELECT COUNT(*) FROM orgs").Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, errs.E(errs.Conflict, "setup.already_done")
	}
	now := db.Millis(s.clock.Now())
	id, err := tx.Insert("INSERT INTO orgs(kind, name, created_at, updated_at) VALUES ('work_committee', ?, ?, ?)", orgName, now, now)
	if err != nil {
		return 0, err
	}
	path := "/" + strconv.FormatInt(id, 10) + "/"
	if _, err := tx.Exec("UPDATE orgs SET path = ? WHERE id = ?", path, id); err != nil {
		return 0, err
	}
	return id, s.trail.Append(tx, audit.Event{Action: "org.setup", ObjectType: "org", ObjectID: id,
		After: map[string]any{"id": id, "kind": "work_committee", "name": orgName, "path": path}})
}

// IsSetUp reports whether the database has its root organisation.
func (s *Service) IsSetUp(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM orgs").Scan(&n)
	return n > 0, err
}

// UserByName looks an account up.
func (s *Service) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	var member *int64
	err := s.db.QueryRow(ctx, "SELECT id, username, role, org_id, member_id, disabled FROM users WHERE username = ?",
		strings.ToLower(strings.TrimSpace(username))).Scan(&u.ID, &u.Username, &u.Role, &u.OrgID, &member, &u.Disabled)
	if member != nil {
		u.MemberID = *member
	}
	return u, err
}

const principalSelect = `SELECT u.id, u.username, u.role, u.org_id, o.path, o.name, u.member_id, u.locale, u.password_changed_at
	FROM users u JOIN orgs o ON o.id = u.org_id`

func scanPrincipal(row *db.Row) (Principal, error) {
	var p Principal
	var member *int64
	err := row.Scan(&p.UserID, &p.Username, &p.Role, &p.OrgID, &p.OrgPath, &p.OrgName, &member, &p.Locale, &p.passwordChangedAt)
	if member != nil {
		p.MemberID = *member
	}
	return p, err
}
