package rectify

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

// StepInput is one step on an item. API contract: {action, comment, measures, due_on, evidence_ids}.
type StepInput struct {
	Action      Action  `json:"action"`
	Comment     string  `json:"comment"`
	Measures    string  `json:"measures"`
	DueOn       string  `json:"due_on"`
	EvidenceIDs []int64 `json:"evidence_ids"`
}

const maxEvidence = 20

// Act takes one step on an item. The caller's side is checked first (403, audited), then the state
// (409), then the input (422); on any refusal nothing changes. The status is re-read under the write
// lock, so two officers pressing at once get one step and a 409.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, in StepInput) (Item, error) {
	it, err := s.Get(ctx, p, id)
	if err != nil {
		return Item{}, err
	}
	r, ok := rules[in.Action]
	if !ok {
		return Item{}, fieldErr("action", "rectify.action.unknown")
	}
	if SideFor(p, it) != r.Side {
		_ = s.trail.Record(ctx, audit.Event{Action: "authz.denied", ObjectType: "action", ObjectID: "rectify." + string(in.Action),
			Result: "denied", Detail: "rectification=" + strconv.FormatInt(id, 10) + " side=" + string(r.Side)})
		return Item{}, errs.E(errs.Forbidden, "rectify.side."+string(r.Side))
	}
	f := s.checkStep(&in)
	err = s.db.Write(ctx, func(tx *db.Tx) error { return s.actTx(tx, p, id, in, f) })
	if err != nil {
		return Item{}, err
	}
	return s.Get(ctx, p, id)
}

// checkEvidence checks each evidence file: it exists, the caller may read it (their subtree holds its
// organisation), and it belongs to the item's scope — an implementing or the responsible organisation's
// subtree, or the supervising organisation itself — so linking it shows it to no one who could not read
// it already.
func (s *Service) checkEvidence(tx *db.Tx, p auth.Principal, it Item, ids []int64, f errs.Fields) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var path string
		var orgID int64
		err := tx.QueryRow("SELECT o.path, o.id FROM files fl JOIN orgs o ON o.id = fl.org_id WHERE fl.id = ?", id).Scan(&path, &orgID)
		if errs.Is(err, errs.NotFound) {
			f.Add("evidence_ids", "rectify.evidence.unknown")
			continue
		}
		if err != nil {
			return nil, err
		}
		inScope := orgID == it.SupervisorOrgID
		for _, op := range it.orgPaths[1:] {
			inScope = inScope || strings.HasPrefix(path, op)
		}
		if !within(p, path) || !inScope {
			f.Add("evidence_ids", "rectify.evidence.scope")
			continue
		}
		out = append(out, id)
	}
	return out, nil
}

// checkStep validates a step's input (not its state, which needs the item under the write lock).
func (s *Service) checkStep(in *StepInput) errs.Fields {
	f := errs.Fields{}
	r := rules[in.Action]
	today := db.DateOf(clock.Today(s.clock))
	in.Comment, in.Measures = strings.TrimSpace(in.Comment), strings.TrimSpace(in.Measures)
	if !runes(in.Comment, 0, 2000) {
		f.Add("comment", "rectify.comment.length")
	}
	if r.Comment && in.Comment == "" {
		f.Add("comment", "rectify.comment.required."+string(in.Action))
	}
	if v := strings.TrimSpace(in.DueOn); v != "" {
		t, err := validate.Date(v)
		switch {
		case err != nil:
			f.Add("due_on", keyOf(err))
		case t.Before(today.Time):
			f.Add("due_on", "rectify.due_on.past")
		}
	}
	if in.Action == ActPlan {
		if !runes(in.Measures, 2, 4000) {
			f.Add("measures", "rectify.measures.required")
		}
		if strings.TrimSpace(in.DueOn) == "" {
			f.Add("due_on", validate.KeyRequired)
		}
	}
	if len(in.EvidenceIDs) > maxEvidence {
		f.Add("evidence_ids", "rectify.evidence.too_many")
	}
	return f
}

// ActTx takes a step inside the caller's transaction (the demo loader; the inspection capability may
// too). It checks the side, the state and the input like Act; a refusal is returned, not audited.
func (s *Service) ActTx(tx *db.Tx, p auth.Principal, id int64, in StepInput) error {
	if _, ok := rules[in.Action]; !ok {
		return fieldErr("action", "rectify.action.unknown")
	}
	f := s.checkStep(&in)
	return s.actTx(tx, p, id, in, f)
}

// actTx is the step under the write lock: side, state, evidence, then the change with its history line
// and audit entry.
func (s *Service) actTx(tx *db.Tx, p auth.Principal, id int64, in StepInput, f errs.Fields) error {
	r := rules[in.Action]
	today := db.DateOf(clock.Today(s.clock))
	var due db.Date
	if t, err := validate.Date(strings.TrimSpace(in.DueOn)); err == nil && !t.Before(today.Time) {
		due = db.DateOf(t)
	}
	cur, err := s.load(txq(tx), id, false)
	if err != nil {
		return err
	}
	if SideFor(p, cur) != r.Side {
		return errs.E(errs.Forbidden, "rectify.side."+string(r.Side))
	}
	if !cur.Can(in.Action) {
		key := "rectify.state." + string(in.Action)
		if rules[in.Action].Closes && cur.LongTerm {
			key = "rectify.long_term.no_close"
		}
		return &errs.Error{Code: errs.Conflict, Key: key, Args: map[string]any{"Status": string(cur.Status)}}
	}
	files, err := s.checkEvidence(tx, p, cur, in.EvidenceIDs, f)
	if err != nil {
		return err
	}
	if r.Evidence && len(files) == 0 {
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM rectify_files WHERE item_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			f.Add("evidence_ids", "rectify.evidence.required")
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	before := map[string]any{"status": cur.Status, "due_on": cur.DueOn.String(), "measures": cur.Measures}
	set, args := []string{"status = ?"}, []any{string(r.To)}
	after := map[string]any{"status": r.To}
	switch in.Action {
	case ActPlan:
		set = append(set, "measures = ?", "proposed_due_on = ?", "plan_proposed = ?")
		args = append(args, in.Measures, due, true)
		after["measures"], after["proposed_due_on"] = in.Measures, due.String()
	case ActAcceptPlan:
		next := cur.DueOn
		if !cur.ProposedDueOn.IsZero() {
			next = cur.ProposedDueOn
		}
		set = append(set, "due_on = ?", "proposed_due_on = ?", "plan_proposed = ?")
		args = append(args, next, db.Date{}, false)
		after["due_on"] = next.String()
	case ActReport:
		set = append(set, "last_report_on = ?")
		args = append(args, today)
		if cur.LongTerm {
			// 长期坚持: the next periodic report is the item's deadline (R0.2 month arithmetic).
			next := addMonths(today, cur.ReportMonths)
			set = append(set, "due_on = ?")
			args = append(args, next)
			after["due_on"] = next.String()
		}
	case ActClose:
		set = append(set, "closed_on = ?")
		args = append(args, today)
	case ActReopen:
		set = append(set, "closed_on = ?")
		args = append(args, db.Date{})
	}
	if !due.IsZero() && (in.Action == ActReject || in.Action == ActReopen) {
		set = append(set, "due_on = ?")
		args = append(args, due)
		after["due_on"] = due.String()
	}
	set = append(set, "updated_at = ?")
	args = append(args, db.Millis(s.clock.Now()), id, string(cur.Status))
	n, err := tx.ExecN("UPDATE rectify_items SET "+strings.Join(set, ", ")+" WHERE id = ? AND status = ?", args...)
	if err != nil {
		return err
	}
	if n != 1 {
		return errs.E(errs.Conflict, "rectify.state."+string(in.Action))
	}
	stepDue := due
	step, err := s.addStep(tx, p, id, in.Action, cur.Status, r.To, in.Comment, in.Measures, stepDue, today)
	if err != nil {
		return err
	}
	for _, fid := range files {
		if _, err := tx.Exec("INSERT INTO rectify_files(step_id, item_id, file_id) VALUES (?, ?, ?)", step, id, fid); err != nil {
			return err
		}
	}
	if len(files) > 0 {
		after["evidence_ids"] = files
	}
	return s.trail.Append(tx, audit.Event{Action: "rectify." + string(in.Action), ObjectType: "rectification", ObjectID: id,
		Before: before, After: after, Detail: "seed §4 side=" + string(r.Side)})
}
