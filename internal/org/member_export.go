package org

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/validate"
	"github.com/xuri/excelize/v2"
)

// exportHeaders are the export's columns: the import template's, then what the roster adds.
var exportHeaders = []string{"姓名", "身份证号码", "性别", "出生日期", "民族", "手机号码", "学历", "所在支部", "人员类别",
	"入党日期", "转正日期", "是否党员领导干部", "职务", "工作单位", "党龄", "出党或其他情形"}

var (
	genderLabel    = map[string]string{"male": "男", "female": "女"}
	educationLabel = map[string]string{"doctorate": "研究生（博士）", "master": "研究生（硕士）", "bachelor": "大学本科",
		"college": "大学专科", "secondary_vocational": "中等专科", "high_school": "高中", "junior_or_below": "初中及以下"}
	statusLabel = map[Status]string{Applicant: "入党申请人", Activist: "入党积极分子", Candidate: "发展对象",
		Probationary: "预备党员", Full: "正式党员"}
	terminalLabel = map[string]string{"removed": "除名", "withdrew": "退党", "expelled": "开除党籍", "deceased": "去世"}
)

// SafeCell makes a text cell harmless to spreadsheet programs (formula injection, CWE-1236): a value
// that starts with = + - @ or a tab or carriage return gets a leading apostrophe, so it is read as text.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportMembers writes the members of f (the whole list: f.Limit and f.Offset are ignored) as .xlsx, in
// pinyin order, with a StreamWriter so memory stays flat. ID and phone numbers are masked unless unmask,
// which only an org administrator over f.OrgID may ask for. Every export is audited (member.export; the
// detail says whether the numbers were unmasked) before a byte is written: no record, no export.
func (s *Service) ExportMembers(ctx context.Context, p auth.Principal, f MemberFilter, unmask bool, w io.Writer) error {
	if f.OrgID == 0 {
		return fieldErr("org_id", validate.KeyRequired)
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
		return err
	}
	if unmask {
		if err := s.auth.Authorize(ctx, p, auth.UnmaskPII, auth.Target{OrgID: f.OrgID}); err != nil {
			return err
		}
	}
	where, args, err := s.rosterWhere(ctx, f)
	if err != nil {
		return err
	}
	mode := "masked"
	if unmask {
		mode = "unmasked"
	}
	err = s.trail.Record(ctx, audit.Event{Action: "member.export", ObjectType: "org", ObjectID: f.OrgID,
		Detail: fmt.Sprintf("%s status=%q q=%t", mode, f.Status, strings.TrimSpace(f.Q) != "")})
	if err != nil {
		return err
	}

	x := excelize.NewFile()
	defer x.Close()
	const sheet = "党员名册"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(1, len(exportHeaders), 14)
	_ = sw.SetColWidth(2, 2, 22)
	head := make([]any, len(exportHeaders))
	for i, h := range exportHeaders {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	rows, err := s.db.Query(ctx, "SELECT "+memberCols+memberFrom+where+" ORDER BY m.name_key, m.id", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	line := 1
	for rows.Next() {
		m, err := s.scanMember(rows, unmask)
		if err != nil {
			return err
		}
		line++
		standing := ""
		if m.PartyStanding != nil {
			standing = fmt.Sprint(*m.PartyStanding)
		}
		cadre := "否"
		if m.IsLeadingCadre {
			cadre = "是"
		}
		vals := []string{m.Name, m.IDNumber, genderLabel[m.Gender], m.BirthDate.String(), m.Ethnicity, m.Phone,
			educationLabel[m.Education], m.OrgName, statusLabel[m.Status], m.JoinedOn.String(), m.FullOn.String(), cadre,
			m.JobTitle, m.UnitName, standing, terminalLabel[m.TerminalState]}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = SafeCell(v) // strings only: nothing in the sheet is a formula
		}
		cell, _ := excelize.CoordinatesToCellName(1, line)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}
