package demo

import (
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/reading"
	"github.com/dangjian/dangjian/internal/wire"
)

// Reading demo (书香机关, issue 6): a 职工书屋 in each of the first committees (with honours) and a book
// cabinet in the demo officer's branch, three dozen classic titles, a few loans (one overdue), World
// Book Day activities of the 工委 over three years with sign-ups and attendance, an upcoming salon with a
// waiting list, recommendations and reviews.
func init() { extras = append(extras, extra{name: "reading", load: loadReading}) }

// demoBooks are well-known titles. Publisher prefixes are the publishers' real ones; apart from 红楼梦 the
// title numbers are made up, with correct check digits (ISBN-13), so no edition is claimed.
var demoBooks = []struct {
	isbn, title, author, publisher string
	year                           int
}{
	{"9787020002207", "红楼梦", "曹雪芹", "人民文学出版社", 1982},
	{"9787020100378", "三国演义", "罗贯中", "人民文学出版社", 1973},
	{"9787020100743", "水浒传", "施耐庵", "人民文学出版社", 1975},
	{"9787020101115", "西游记", "吴承恩", "人民文学出版社", 1980},
	{"9787101101485", "论语译注", "杨伯峻 译注", "中华书局", 1980},
	{"9787101101850", "孟子译注", "杨伯峻 译注", "中华书局", 1960},
	{"9787100102223", "老子今注今译", "陈鼓应", "商务印书馆", 2003},
	{"9787101102598", "史记", "司马迁", "中华书局", 1982},
	{"9787101102963", "资治通鉴", "司马光", "中华书局", 1956},
	{"9787101103335", "唐诗三百首", "蘅塘退士 编", "中华书局", 2009},
	{"9787101103700", "宋词三百首", "上彊村民 编", "中华书局", 2010},
	{"9787020104079", "呐喊", "鲁迅", "人民文学出版社", 1973},
	{"9787020104444", "彷徨", "鲁迅", "人民文学出版社", 1973},
	{"9787020104819", "朝花夕拾", "鲁迅", "人民文学出版社", 1973},
	{"9787020105182", "骆驼祥子", "老舍", "人民文学出版社", 2000},
	{"9787020105557", "茶馆", "老舍", "人民文学出版社", 2008},
	{"9787020105922", "家", "巴金", "人民文学出版社", 1981},
	{"9787020106295", "子夜", "茅盾", "人民文学出版社", 1952},
	{"9787537806664", "边城", "沈从文", "北岳文艺出版社", 2002},
	{"9787108107039", "乡土中国", "费孝通", "生活·读书·新知三联书店", 1985},
	{"9787532507405", "人间词话", "王国维", "上海古籍出版社", 1998},
	{"9787101107777", "文心雕龙", "刘勰", "中华书局", 2012},
	{"9787101108149", "古文观止", "吴楚材、吴调侯 编", "中华书局", 1959},
	{"9787020108510", "聊斋志异", "蒲松龄", "人民文学出版社", 1989},
	{"9787020108886", "儒林外史", "吴敬梓", "人民文学出版社", 1977},
	{"9787500609254", "红岩", "罗广斌、杨益言", "中国青年出版社", 1961},
	{"9787020109623", "林海雪原", "曲波", "人民文学出版社", 1957},
	{"9787020109999", "青春之歌", "杨沫", "人民文学出版社", 1958},
	{"9787010110363", "共产党宣言", "马克思、恩格斯", "人民出版社", 2014},
	{"9787010110738", "实践论", "毛泽东", "人民出版社", 1951},
	{"9787010111100", "矛盾论", "毛泽东", "人民出版社", 1952},
	{"9787530211472", "平凡的世界", "路遥", "北京十月文艺出版社", 2012},
	{"9787020111848", "创业史", "柳青", "人民文学出版社", 2009},
	{"9787020112210", "谁是最可爱的人", "魏巍", "人民文学出版社", 2018},
	{"9787020112586", "荷塘月色", "朱自清", "人民文学出版社", 2014},
	{"9787020112951", "雷雨", "曹禺", "人民文学出版社", 2015},
}

func loadReading(tx *db.Tx, p *wire.Platform, res *Result, r *mrand.Rand, today time.Time) error {
	rs := p.Reading
	var officerOrg, officerUser, adminUser, memberID int64
	if err := tx.QueryRow("SELECT org_id, id FROM users WHERE username = 'demo_officer'").Scan(&officerOrg, &officerUser); err != nil {
		return err
	}
	if err := tx.QueryRow("SELECT id FROM users WHERE username = 'demo_admin'").Scan(&adminUser); err != nil {
		return err
	}
	if err := tx.QueryRow("SELECT member_id FROM users WHERE username = 'demo_member'").Scan(&memberID); err != nil {
		return err
	}
	// The committee above the officer's branch first, then the others, at most three.
	var officerPath string
	if err := tx.QueryRow("SELECT path FROM orgs WHERE id = ?", officerOrg).Scan(&officerPath); err != nil {
		return err
	}
	rows, err := tx.Query("SELECT id, name, path FROM orgs WHERE kind = 'committee' ORDER BY CASE WHEN ? LIKE path || '%' THEN 0 ELSE 1 END, id LIMIT 3", officerPath)
	if err != nil {
		return err
	}
	type committee struct {
		id         int64
		name, path string
	}
	var committees []committee
	for rows.Next() {
		var c committee
		if err := rows.Scan(&c.id, &c.name, &c.path); err != nil {
			rows.Close()
			return err
		}
		committees = append(committees, c)
	}
	rows.Close()
	year := today.Year()
	honours := [][]reading.Honour{
		{{Title: "职工书屋示范点", Level: reading.City, Year: year - 3}, {Title: "职工书屋示范点", Level: reading.Provincial, Year: year - 1}},
		{{Title: "全国“职工书屋”示范点", Level: reading.National, Year: year - 2}},
		nil,
	}
	var rooms []int64
	for i, c := range committees {
		id, err := rs.CreateRoomTx(tx, adminUser, reading.RoomInput{OrgID: c.id, Name: fmt.Sprintf("%s职工书屋", trimCommittee(c.name)), Kind: reading.Room,
			Location: fmt.Sprintf("机关办公楼%d楼", 2+i), OpeningHours: "工作日 12:00—13:30、17:30—19:00", Honours: honours[i]})
		if err != nil {
			return err
		}
		rooms = append(rooms, id)
	}
	cabinet, err := rs.CreateRoomTx(tx, officerUser, reading.RoomInput{OrgID: officerOrg, Name: "党员书橱", Kind: reading.Cabinet,
		Location: "支部活动室", OpeningHours: "随时"})
	if err != nil {
		return err
	}
	rooms = append(rooms, cabinet)
	// Every title in the first room; a share of them, one to three copies each, in the others.
	bookIDs := make([]int64, len(demoBooks))
	for ri, room := range rooms {
		for bi, b := range demoBooks {
			inCabinet := room == cabinet && (bi == 19 || bi == 28) // the cabinet's loans below
			if ri > 0 && (bi+ri)%3 != 0 && !inCabinet {
				continue
			}
			id, err := rs.AddBookTx(tx, reading.BookInput{ISBN: b.isbn, Title: b.title, Author: b.author, Publisher: b.publisher,
				Year: b.year, RoomID: room, Copies: 1 + r.IntN(3)})
			if err != nil {
				return err
			}
			bookIDs[bi] = id
		}
	}
	// Members the cabinet and the first room serve: the officer's branch.
	members, err := demoMembers(tx, officerPath, 8)
	if err != nil {
		return err
	}
	now := db.Millis(p.Clock.Now())
	day := func(d int) db.Date { return db.DateOf(today.AddDate(0, 0, d)) }
	lend := func(room int64, book int, member int64, lent, due int, returned *int) error {
		var copyID int64
		if err := tx.QueryRow(`SELECT c.id FROM reading_copies c WHERE c.room_id = ? AND c.book_id = ? AND NOT EXISTS
			(SELECT 1 FROM reading_loans l WHERE l.copy_id = c.id AND l.returned_on IS NULL) ORDER BY c.copy_no LIMIT 1`, room, bookIDs[book]).Scan(&copyID); err != nil {
			return err
		}
		var ret any
		if returned != nil {
			ret = day(*returned)
		}
		_, err := tx.Exec(`INSERT INTO reading_loans(copy_id, room_id, member_id, lent_on, due_on, returned_on, lent_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, copyID, room, member, day(lent), day(due), ret, officerUser, now, now)
		return err
	}
	back := -20
	loans := []struct {
		room           int64
		book           int
		member         int64
		lent, due      int
		returned       *int
		mustHaveMember bool
	}{
		{rooms[0], 19, memberID, -10, 20, nil, true},   // 乡土中国, on loan to the demo member
		{cabinet, 28, memberID, -40, -25, &back, true}, // 共产党宣言, returned
		{rooms[0], 0, 0, -45, -15, nil, false},         // 红楼梦, overdue
		{rooms[0], 31, 0, -5, 25, nil, false},          // 平凡的世界
	}
	for i, l := range loans {
		m := l.member
		if !l.mustHaveMember {
			if len(members) <= i {
				continue
			}
			m = members[len(members)-1-i%len(members)]
			if m == memberID {
				continue
			}
		}
		if err := lend(l.room, l.book, m, l.lent, l.due, l.returned); err != nil {
			return err
		}
	}
	// World Book Day of the 工委: the last three years, numbered on from the first.
	var wbd []int64
	for k, y := range []int{year - 2, year - 1, year} {
		in := reading.EventInput{OrgID: res.RootID, Kind: reading.WorldBookDay, Title: "“书香机关”世界读书日主题活动", Place: "市民中心报告厅",
			Speaker: "示例市作家协会", Capacity: 200, Description: "好书分享、经典诵读、读书心得交流。"}
		if k == 0 {
			in.Edition = 8
		}
		id, err := rs.CreateEventTx(tx, adminUser, in, db.Date{Time: time.Date(y, 4, 23, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return err
		}
		wbd = append(wbd, id)
	}
	salon, err := rs.CreateEventTx(tx, officerUser, reading.EventInput{OrgID: committees[0].id, Kind: reading.Salon, Title: "《乡土中国》读书沙龙",
		Place: "机关阅览室", Capacity: 5, Description: "每人分享一段读书心得。"}, day(14))
	if err != nil {
		return err
	}
	lecture, err := rs.CreateEventTx(tx, adminUser, reading.EventInput{OrgID: res.RootID, Kind: reading.Lecture, Title: "名家讲座：怎样读经典",
		Place: "市民中心报告厅", Speaker: "示例大学中文系教授", Capacity: 120}, day(-30))
	if err != nil {
		return err
	}
	signup := func(event, member int64, seat int, attended bool) error {
		status, seatArg := "waiting", any(nil)
		if seat > 0 {
			status, seatArg = "confirmed", seat
		}
		_, err := tx.Exec(`INSERT INTO reading_signups(event_id, member_id, status, seat, attended, signed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			event, member, status, seatArg, attended, now+int64(seat), now)
		return err
	}
	salonSeat := 0
	for i, m := range members {
		for _, e := range []int64{wbd[0], wbd[1], lecture} {
			if err := signup(e, m, i+1, i%3 != 2); err != nil {
				return err
			}
		}
		if m == memberID {
			continue
		}
		// The salon fills its five seats; the rest wait.
		salonSeat++
		seat := salonSeat
		if seat > 5 {
			seat = 0
		}
		if err := signup(salon, m, seat, false); err != nil {
			return err
		}
	}
	// Recommendations of the 工委, and reviews of the demo member (one approved, one waiting).
	for _, b := range []struct {
		book   int
		reason string
	}{{19, "理解中国基层社会的入门书，篇幅短，适合午间阅读。"}, {28, "重读经典，常读常新。"}, {31, "平凡人的奋斗，读来令人振奋。"}} {
		if _, err := tx.Exec(`INSERT INTO reading_recommendations(org_id, book_id, reason, recommended_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			res.RootID, bookIDs[b.book], b.reason, day(-20), adminUser, now); err != nil {
			return err
		}
	}
	var memberOrg int64
	if err := tx.QueryRow("SELECT org_id FROM members WHERE id = ?", memberID).Scan(&memberOrg); err != nil {
		return err
	}
	for _, v := range []struct {
		book         int
		body, status string
	}{{28, "再读《共产党宣言》，对“两个必然”有了新的体会。", "approved"}, {19, "“差序格局”一章解释了很多日常现象，值得反复读。", "pending"}} {
		if _, err := tx.Exec(`INSERT INTO reading_reviews(book_id, member_id, org_id, body, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			bookIDs[v.book], memberID, memberOrg, v.body, v.status, now); err != nil {
			return err
		}
	}
	return nil
}

// demoMembers lists up to n members of the subtree at path, the demo member first.
func demoMembers(tx *db.Tx, path string, n int) ([]int64, error) {
	rows, err := tx.Query(`SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path LIKE ? AND m.terminal_state = ''
		ORDER BY CASE WHEN m.id = (SELECT member_id FROM users WHERE username = 'demo_member') THEN 0 ELSE 1 END, m.id LIMIT ?`, path+"%", n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// trimCommittee turns "示例市教育局机关党委" into "示例市教育局".
func trimCommittee(name string) string {
	const suffix = "机关党委"
	if len(name) > len(suffix) && name[len(name)-len(suffix):] == suffix {
		return name[:len(name)-len(suffix)]
	}
	return name
}
