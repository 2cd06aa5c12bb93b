// Package auth is who may do what: accounts and passwords, sessions and personal access tokens, roles
// scoped to the org tree, and the one function that decides every request (Authorize). Capabilities call
// Authorize; they never re-implement a permission check.
package auth

// Role is what an account may do. An account holds exactly one role, so no one can hold two of the
// three separated system roles (三权分立).
type Role string

const (
	OrgAdmin      Role = "org_admin"      // everything in the subtree of their organisation
	BranchOfficer Role = "branch_officer" // business data of their branch (and its cells)
	Member        Role = "member"         // themselves and what every member sees
	SystemAdmin   Role = "system_admin"   // accounts and configuration; no business data, no trail
	SecurityAdmin Role = "security_admin" // security policy, lockouts, sessions; no business data
	AuditAdmin    Role = "audit_admin"    // reads the audit trail, and nothing else
)

// Roles lists every role, business roles first.
var Roles = []Role{OrgAdmin, BranchOfficer, Member, SystemAdmin, SecurityAdmin, AuditAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// System reports whether r is one of the three separated system roles.
func (r Role) System() bool { return r == SystemAdmin || r == SecurityAdmin || r == AuditAdmin }

// Action is something a request wants to do. Capabilities map their operations onto these.
type Action string

const (
	ReadBusiness   Action = "business.read"   // see business data of an org subtree
	WriteBusiness  Action = "business.write"  // change business data of an org subtree
	ManageOrgs     Action = "org.manage"      // set up, move, dissolve organisations in a subtree
	ReadSelf       Action = "self.read"       // a member's own records
	WriteSelf      Action = "self.write"      // a member's own answers, sign-ups, profile
	ManageUsers    Action = "user.manage"     // create and change accounts (system_admin)
	ManageSecurity Action = "security.manage" // policy, unlocks, sessions (security_admin)
	ReadAudit      Action = "audit.read"      // the trail (audit_admin)
)

// grants is the whole permission table: which role may take which action. Scope (own subtree, own
// member record) is checked by Authorize on top of it.
var grants = map[Role]map[Action]bool{
	OrgAdmin:      {ReadBusiness: true, WriteBusiness: true, ManageOrgs: true, ReadSelf: true, WriteSelf: true},
	BranchOfficer: {ReadBusiness: true, WriteBusiness: true, ReadSelf: true, WriteSelf: true},
	Member:        {ReadSelf: true, WriteSelf: true},
	SystemAdmin:   {ManageUsers: true},
	SecurityAdmin: {ManageSecurity: true},
	AuditAdmin:    {ReadAudit: true},
}

// Can reports whether role r may take action a at all (before scope). Pages use it to build menus.
func (r Role) Can(a Action) bool { return grants[r][a] }
