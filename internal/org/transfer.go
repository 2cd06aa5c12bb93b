package org

// Membership transfers (组织关系转接) inside the deployment — RULES.md §F4 (党员教育管理工作条例 第二十五条).
//
// requested → sent → received, or rejected / cancelled. The sending organisation requests, issues the
// letter (转接介绍信) and may cancel while pending; the receiving organisation accepts or rejects once
// the letter is sent. Until the receiving side accepts, members.org_id stays the sender's, so every
// roster and count keeps the member with the sender (F4: "after a transfer out and before it is
// received, the original organisation keeps responsibility"). RULES.md §F4 sets no deadline for
// receipt, so a transfer has no due date.

import (
	"context"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// TransferStatus is where a transfer stands.
type TransferStatus string

const (
	TransferRequested TransferStatus = "requested"
	TransferSent      TransferStatus = "sent"
	TransferReceived  TransferStatus = "received"
	TransferRejected  TransferStatus = "rejected"
	TransferCancelled TransferStatus = "cancelled"
)

// TransferStatuses lists the statuses in order.
var TransferStatuses = []TransferStatus{TransferRequested, TransferSent, TransferReceived, TransferRejected, TransferCancelled}

// Pending reports whether the transfer still waits for a step (F4: the member stays with the sender).
func (s TransferStatus) Pending() bool { return s == TransferRequested || s == TransferSent }

// TransferAction is a step taken on a transfer.
type TransferAction string

const (
	ActRequest TransferAction = "request"
	ActSend    TransferAction = "send"
	ActReceive TransferAction = "receive"
	ActReject  TransferAction = "reject"
	ActCancel  TransferAction = "cancel"
)

// Side is the organisation whose officers take a step.
type Side string

const (
	SideFrom Side = "from" // the sending organisation
	SideTo   Side = "to"   // the receiving organisation
)

// transferRule is one allowed transition: who takes the step, from which statuses, to which status.
type transferRule struct {
	Side   Side
	From   []TransferStatus
	To     TransferStatus
	Rule   string // RULES.md id
	NoteRq bool   // a reason is required (F4: refusing without reason is not allowed)
}

// transferRules is the whole state machine, as data.
var transferRules = map[TransferAction]transferRule{
	ActSend:    {Side: SideFrom, From: []TransferStatus{TransferRequested}, To: TransferSent, Rule: "F4"},
	ActReceive: {Side: SideTo, From: []TransferStatus{TransferSent}, To: TransferReceived, Rule: "F4"},
	ActReject:  {Side: SideTo, From: []TransferStatus{TransferSent}, To: TransferRejected, Rule: "F4", NoteRq: true},
	ActCancel:  {Side: SideFrom, From: []TransferStatus{TransferRequested, TransferSent}, To: TransferCancelled, Rule: "F4"},
}

// TransferActions lists the step actions (not request) in the order pages show them.
var TransferActions = []TransferAction{ActSend, ActReceive, ActReject, ActCancel}

// Transfer is a membership transfer with its steps.
type Transfer struct {
	ID          int64          `json:"id"`
	MemberID    int64          `json:"member_id"`
	MemberName  string         `json:"member_name"`
	FromOrgID   int64          `json:"from_org_id"`
	FromOrgName string         `json:"from_org_name"`
	ToOrgID     int64          `json:"to_org_id"`
	ToOrgName   string         `json:"to_org_name"`
	LetterNo    string         `json:"letter_no"`
	Reason      string         `json:"reason"`
	Status      TransferStatus `json:"status"`
	RequestedOn db.Date        `json:"requested_on"`
	SentOn      db.Date        `json:"sent_on"`
	ReceivedOn  db.Date        `json:"received_on"`
	ClosedOn    db.Date        `json:"closed_on"`
	Steps       []TransferStep `json:"steps,omitempty"`

	fromPath, toPath string
}

// Can reports whether action a is allowed in the transfer's current status (not who may take it).
func (t Transfer) Can(a TransferAction) bool {
	r, ok := transferRules[a]
	if !ok {
		return false
	}
	for _, st := range r.From {
		if st == t.Status {
			return true
		}
	}
	return false
}

// TransferStep is one line of a transfer's history.
type TransferStep struct {
	Action    TransferAction `json:"action"`
	On        db.Date        `json:"on"`
	ActorName string         `json:"actor"`
	Note      string         `json:"note"`
}

// NewTransfer is what RequestTransfer needs.
type NewTransfer struct {
	MemberID int64  `json:"member_id"`
	ToOrgID  int64  `json:"to_org_id"`
	Reason   string `json:"reason"`
	LetterNo string `json:"letter_no"`
	On       string `json:"on"` // default today
}

// TransferStepInput is one step on a transfer.
type TransferStepInput struct {
	Action   TransferAction `json:"action"`
	On       string         `json:"on"` // default today
	LetterNo string         `json:"letter_no"`
	Note     string         `json:"note"`
}

const transferCols = `t.id, t.member_id, m.name, t.from_org_id, fo.name, fo.path, t.to_org_id, tg.name, tg.path,
	t.letter_no, t.reason, t.status, t.requested_on, t.sent_on, t.received_on, t.closed_on`

const transferFrom = ` FROM transfers t JOIN members m ON m.id = t.member_id
	JOIN orgs fo ON fo.id = t.from_org_id JOIN orgs tg ON tg.id = t.to_org_id`

func scanTransfer(sc interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	err := sc.Scan(&t.ID, &t.MemberID, &t.MemberName, &t.FromOrgID, &t.FromOrgName, &t.fromPath, &t.ToOrgID, &t.ToOrgName,
		&t.toPath, &t.LetterNo, &t.Reason, &t.Status, &t.RequestedOn, &t.SentOn, &t.ReceivedOn, &t.ClosedOn)
	return t, err
}

// transferDate reads an optional step date: today when empty, never in the future, never before notBefore.
func (s *Service) transferDate(f errs.Fields, field, v string, notBefore db.Date) db.Date {
	today := db.DateOf(clock.Today(s.clock))
	if strings.TrimSpace(v) == "" {
		return today
	}
	t, err := validate.Date(v)
	if err != nil {
		f.Add(field, keyOf(err))
		return today
	}
	d := db.DateOf(t)
	switch {
	case d.After(today.Time):
		f.Add(field, "transfer.date.future")
	case !notBefore.IsZero() && d.Before(notBefore.Time):
		f.Add(field, "transfer.date.before")
	}
	return d
}

func transferConflict(key string) error { return errs.E(errs.Conflict, key) }

// RequestTransfer opens a transfer of a member out of their organisation into another branch of the
// deployment. Only officers of the member's current organisation may (the target may lie outside
// their scope: a transfer goes wherever the member goes).
func (s *Service) RequestTransfer(ctx context.Context, p auth.Principal, n NewTransfer) (Transfer, error) {
	n.Reason, n.LetterNo = strings.TrimSpace(n.Reason), strings.TrimSpace(n.LetterNo)
	f := errs.Fields{}
	if n.MemberID <= 0 {
		f.Add("member_id", "validate.required")
	}
	if n.ToOrgID <= 0 {
		f.Add("to_org_id", "validate.required")
	}
	if err := validate.Length(n.Reason, 2, 500); err != nil {
		f.Add("reason", keyOf(err))
	}
	if err := validate.Length(n.LetterNo, 0, 50); err != nil {
		f.Add("letter_no", keyOf(err))
	}
	on := s.transferDate(f, "on", n.On, db.Date{})
	if err := f.Err(); err != nil {
		return Transfer{}, err
	}
	var fromOrg int64
	var status string
	err := s.db.QueryRow(ctx, "SELECT org_id, status FROM members WHERE id = ?", n.MemberID).Scan(&fromOrg, &status)
	if errs.Is(err, errs.NotFound) {
		return Transfer{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Transfer{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: fromOrg}); err != nil {
		return Transfer{}, err
	}
	var id int64
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		// Re-read inside the transaction: the member may have moved or changed status since.
		var terminal string
		if err := tx.QueryRow("SELECT org_id, status, terminal_state FROM members WHERE id = ?", n.MemberID).Scan(&fromOrg, &status, &terminal); err != nil {
			return err
		}
		// §F8: a member who has left (removed, withdrew, expelled, deceased) is not transferred.
		if terminal != "" || (status != string(Full) && status != string(Probationary)) {
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"member_id": "transfer.member.status"}}
		}
		var kind string
		var dissolved db.Date
		err := tx.QueryRow("SELECT kind, dissolved_on FROM orgs WHERE id = ?", n.ToOrgID).Scan(&kind, &dissolved)
		switch {
		case errs.Is(err, errs.NotFound):
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"to_org_id": "transfer.to.unknown"}}
		case err != nil:
			return err
		case !dissolved.IsZero() || kind != string(Branch):
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"to_org_id": "transfer.to.not_branch"}}
		case n.ToOrgID == fromOrg:
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"to_org_id": "transfer.to.same"}}
		}
		var pending int
		if err := tx.QueryRow("SELECT COUNT(*) FROM transfers WHERE member_id = ? AND status IN ('requested', 'sent')", n.MemberID).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return transferConflict("transfer.pending_exists")
		}
		now := db.Millis(s.clock.Now())
		id, err = tx.Insert(`INSERT INTO transfers(member_id, from_org_id, to_org_id, letter_no, reason, status, requested_on,
			requested_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.MemberID, fromOrg, n.ToOrgID, n.LetterNo, n.Reason, string(TransferRequested), on, p.UserID, now, now)
		if err != nil {
			if errs.Is(err, errs.Conflict) {
				return transferConflict("transfer.pending_exists")
			}
			return err
		}
		if err := s.addStep(tx, p, id, ActRequest, on, n.Reason); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "transfer.request", ObjectType: "transfer", ObjectID: id,
			After:  map[string]any{"member_id": n.MemberID, "from_org_id": fromOrg, "to_org_id": n.ToOrgID, "status": TransferRequested},
			Detail: "F4 member=" + strconv.FormatInt(n.MemberID, 10)})
	})
	if err != nil {
		return Transfer{}, err
	}
	return s.loadTransfer(ctx, id, true)
}

func (s *Service) addStep(tx *db.Tx, p auth.Principal, id int64, a TransferAction, on db.Date, note string) error {
	_, err := tx.Exec(`INSERT INTO transfer_steps(transfer_id, action, done_on, actor_id, actor_name, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, string(a), on, p.UserID, p.Username, note, db.Millis(s.clock.Now()))
	return err
}

// TransferStepTake takes one step on a transfer: send, receive, reject or cancel. The side that may
// take it is checked first (403, audited), then the status (409); nothing changes on refusal.
// Receiving moves the member to the receiving organisation in the same transaction as the step and
// its audit entries.
func (s *Service) TransferStepTake(ctx context.Context, p auth.Principal, id int64, in TransferStepInput) (Transfer, error) {
	t, err := s.GetTransfer(ctx, p, id)
	if err != nil {
		return Transfer{}, err
	}
	rule, ok := transferRules[in.Action]
	if !ok {
		return Transfer{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"action": "transfer.action.unknown"}}
	}
	side := t.FromOrgID
	if rule.Side == SideTo {
		side = t.ToOrgID
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: side}); err != nil {
		if errs.Is(err, errs.Forbidden) {
			return Transfer{}, errs.E(errs.Forbidden, "transfer.side."+string(rule.Side))
		}
		return Transfer{}, err
	}
	in.Note, in.LetterNo = strings.TrimSpace(in.Note), strings.TrimSpace(in.LetterNo)
	f := errs.Fields{}
	last := t.RequestedOn
	if !t.SentOn.IsZero() {
		last = t.SentOn
	}
	on := s.transferDate(f, "on", in.On, last)
	if err := validate.Length(in.Note, 0, 500); err != nil {
		f.Add("note", keyOf(err))
	}
	if rule.NoteRq && in.Note == "" {
		f.Add("note", "transfer.reject.reason")
	}
	if err := validate.Length(in.LetterNo, 0, 50); err != nil {
		f.Add("letter_no", keyOf(err))
	}
	if in.Action == ActSend && in.LetterNo == "" && t.LetterNo == "" {
		f.Add("letter_no", "transfer.letter_no.required")
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		// The status is re-read under the write lock: two officers pressing at once get one step and a 409.
		var cur TransferStatus
		var memberOrg int64
		if err := tx.QueryRow(`SELECT t.status, m.org_id FROM transfers t JOIN members m ON m.id = t.member_id WHERE t.id = ?`, id).Scan(&cur, &memberOrg); err != nil {
			return err
		}
		t.Status = cur
		if !t.Can(in.Action) {
			return transferConflict("transfer.state." + string(in.Action))
		}
		if err := f.Err(); err != nil {
			return err
		}
		before := map[string]any{"status": cur, "letter_no": t.LetterNo}
		now := db.Millis(s.clock.Now())
		var n int64
		var err error
		switch in.Action {
		case ActSend:
			letter := t.LetterNo
			if in.LetterNo != "" {
				letter = in.LetterNo
			}
			t.LetterNo = letter
			n, err = tx.ExecN("UPDATE transfers SET status = ?, letter_no = ?, sent_on = ?, updated_at = ? WHERE id = ? AND status = ?",
				string(rule.To), letter, on, now, id, string(cur))
		case ActReceive:
			if memberOrg != t.FromOrgID {
				return transferConflict("transfer.member.moved")
			}
			var dissolved db.Date
			if err := tx.QueryRow("SELECT dissolved_on FROM orgs WHERE id = ?", t.ToOrgID).Scan(&dissolved); err != nil {
				return err
			}
			if !dissolved.IsZero() {
				return transferConflict("transfer.to.dissolved")
			}
			n, err = tx.ExecN("UPDATE transfers SET status = ?, received_on = ?, updated_at = ? WHERE id = ? AND status = ?",
				string(rule.To), on, now, id, string(cur))
			if err == nil && n == 1 {
				// F4: the relationship moves now, and only now.
				if _, err = tx.Exec("UPDATE members SET org_id = ?, updated_at = ? WHERE id = ? AND org_id = ?", t.ToOrgID, now, t.MemberID, t.FromOrgID); err != nil {
					return err
				}
				err = s.trail.Append(tx, audit.Event{Action: "member.transfer", ObjectType: "member", ObjectID: t.MemberID,
					Before: map[string]any{"org_id": t.FromOrgID}, After: map[string]any{"org_id": t.ToOrgID},
					Detail: "F4 transfer=" + strconv.FormatInt(id, 10)})
			}
		default: // reject, cancel
			n, err = tx.ExecN("UPDATE transfers SET status = ?, closed_on = ?, updated_at = ? WHERE id = ? AND status = ?",
				string(rule.To), on, now, id, string(cur))
		}
		if err != nil {
			return err
		}
		if n != 1 {
			return transferConflict("transfer.state." + string(in.Action))
		}
		if err := s.addStep(tx, p, id, in.Action, on, in.Note); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "transfer." + string(in.Action), ObjectType: "transfer", ObjectID: id,
			Before: before, After: map[string]any{"status": rule.To, "letter_no": t.LetterNo}, Detail: rule.Rule})
	})
	if err != nil {
		return Transfer{}, err
	}
	return s.loadTransfer(ctx, id, true)
}
