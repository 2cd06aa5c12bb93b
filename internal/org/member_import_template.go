package org

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// importInstructions are the rows of the template's 填写说明 sheet.
var importInstructions = [][]string{
	{"列名", "是否必填", "填写说明"},
	{"姓名", "必填", "2至50个字"},
	{"身份证号码", "必填", "18位居民身份证号码，末位可为X；请按文本格式填写，勿填为数字"},
	{"性别", "选填", "男 或 女；不填时按身份证号码确定，填写时须与身份证号码一致"},
	{"出生日期", "选填", "如 1985-06-01；不填时按身份证号码确定，填写时须与身份证号码一致"},
	{"民族", "必填", "如 汉族、回族（GB/T 3304 名称或两位代码）"},
	{"手机号码", "选填", "11位手机号码"},
	{"学历", "选填", "研究生（博士）、研究生（硕士）、大学本科、大学专科、中等专科、高中、初中及以下"},
	{"所在支部", "必填", "党支部的名称或编号，须在导入范围内；导入到一个党支部时可不填"},
	{"人员类别", "必填", "入党申请人、入党积极分子、发展对象、预备党员、正式党员"},
	{"入党日期", "预备党员、正式党员必填", "支部大会通过接收为预备党员的日期，如 2010-07-01"},
	{"转正日期", "选填", "正式党员的转正日期，须在入党日期一年以后"},
	{"是否党员领导干部", "选填", "是 或 否，不填为否"},
	{},
	{"说明", "", "第一行为表头，请勿修改；每行一人；同一文件中身份证号码不得重复，已在系统中登记的人员不能再次导入。"},
	{"", "", "先“预览”检查每一行，无误后再确认导入；导入要么全部成功，要么全部不导入，除非选择“跳过有误的行”。"},
	{"", "", "每次最多导入 100000 行。"},
}

// ImportTemplate writes the import template: the 党员信息 sheet with the headers (ID and phone columns
// formatted as text so Excel does not turn the numbers into 1.1E+17) and the 填写说明 sheet.
func ImportTemplate(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "党员信息"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	header := make([]any, len(ImportColumns))
	for i, c := range ImportColumns {
		header[i] = c.Header
	}
	if err := x.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(ImportColumns), 1)
	if err := x.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return err
	}
	text, err := x.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	for i, c := range ImportColumns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		width := 14.0
		if c.Field == "id_number" || c.Field == "org_id" || c.Field == "is_leading_cadre" {
			width = 22
		}
		if err := x.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
		if c.Field == "id_number" || c.Field == "phone" || c.Field == "org_id" {
			if err := x.SetColStyle(sheet, col, text); err != nil {
				return err
			}
		}
	}
	for field, list := range map[string][]string{
		"gender":           {"男", "女"},
		"status":           {"入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员"},
		"is_leading_cadre": {"是", "否"},
	} {
		col := ""
		for i, c := range ImportColumns {
			if c.Field == field {
				col, _ = excelize.ColumnNumberToName(i + 1)
			}
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = col + "2:" + col + "20001"
		if err := dv.SetDropList(list); err != nil {
			return err
		}
		if err := x.AddDataValidation(sheet, dv); err != nil {
			return err
		}
	}
	const help = "填写说明"
	if _, err := x.NewSheet(help); err != nil {
		return err
	}
	for i, r := range importInstructions {
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(help, cell, &row); err != nil {
			return err
		}
	}
	_ = x.SetColWidth(help, "A", "B", 20)
	_ = x.SetColWidth(help, "C", "C", 90)
	_ = x.SetCellStyle(help, "A1", "C1", bold)
	_, err = x.WriteTo(w)
	return err
}
