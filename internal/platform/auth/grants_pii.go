package auth

// UnmaskPII is seeing resident ID and phone numbers whole (in a member's record or an export) inside a
// subtree. Every use is audited by the capability that shows the numbers (member.unmask,
// member.export). Only org administrators hold it; officers and members see masked numbers, their own
// included.
const UnmaskPII Action = "pii.unmask"

// The grant lives here, beside the action, rather than in the grants literal (roles.go).
func init() { grants[OrgAdmin][UnmaskPII] = true }
