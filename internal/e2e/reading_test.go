package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// TestBrowserReading (issue 6): a branch officer sets up a book cabinet, adds a book by its ISBN-10 (with
// the X check digit; stored as ISBN-13) and lends it to a member; the member, on a phone, signs up for the
// 工委's World Book Day activity and sees the loan on their own page. Screenshots at both widths.
func TestBrowserReading(t *testing.T) {
	t.Parallel()
	p, officer := journey(t, "reading")
	member := newTab(t, p.URL, "reading-member")
	ol, ml := p.login(t, auth.BranchOfficer), p.login(t, auth.Member)

	// The member's id, from their own account (over the API: a JSON page in the browser is re-rendered
	// by Chromium's viewer, which races with reading its text).
	if st := member.login(ml.Username, ml.Password); st != http.StatusOK {
		t.Fatalf("member login: %d", st)
	}
	var me struct {
		MemberID int64 `json:"member_id"`
	}
	if st := p.api(t, auth.Member).call("GET", "/api/v1/me", nil, &me); st != http.StatusOK || me.MemberID == 0 {
		t.Fatalf("/api/v1/me: %d %+v", st, me)
	}

	// The officer sets up a cabinet in their branch.
	if st := officer.login(ol.Username, ol.Password); st != http.StatusOK {
		t.Fatalf("officer login: %d", st)
	}
	if st := officer.open("/reading"); st != http.StatusOK {
		t.Fatalf("GET /reading: %d", st)
	}
	officer.click(`a[href="/reading/rooms/new"]`)
	officer.typeInto(`#rm-name`, "支部读书角")
	officer.eval(`document.querySelector('#rm-kind').value = 'cabinet'`)
	officer.typeInto(`#rm-loc`, "支部活动室东侧")
	officer.typeInto(`input[name="honour_title_0"]`, "职工书屋示范点")
	officer.eval(`document.querySelector('select[name="honour_level_0"]').value = 'city'`)
	officer.typeInto(`input[name="honour_year_0"]`, "2025")
	if st := officer.click(`form[action="/reading/rooms"] button.primary`); st != http.StatusOK {
		t.Fatalf("create room: %d", st)
	}
	if h1 := officer.text("main h1"); !strings.Contains(h1, "支部读书角") || !strings.Contains(h1, "书橱") {
		t.Fatalf("room page h1 = %q", h1)
	}
	if flash := officer.text(".flash"); flash != "书屋已创建" {
		t.Errorf("flash = %q", flash)
	}
	room := strings.TrimPrefix(strings.Split(officer.path(), "?")[0], "/reading/rooms/")

	// A book by its ISBN-10 with an X check digit: 7-108-00982-X is 978-7-108-00982-1.
	officer.typeInto(`#bk-isbn`, "7-108-00982-X")
	officer.typeInto(`#bk-title`, "乡土中国")
	officer.typeInto(`#bk-author`, "费孝通")
	officer.eval(`document.querySelector('#bk-copies').value = '2'`)
	if st := officer.click(`form[action$="/books"] button.primary`); st != http.StatusOK {
		t.Fatalf("add book: %d", st)
	}
	if cat := officer.text("#catalogue tbody"); !strings.Contains(cat, "9787108009821") || !strings.Contains(cat, "共2册，在架2册") {
		t.Fatalf("catalogue after adding: %q", cat)
	}
	officer.shot("room-desktop")

	// Lend it to the member.
	officer.eval(`(() => { const s = document.querySelector('#ln-book');
		s.value = [...s.options].find(o => o.text.startsWith('乡土中国')).value; })()`)
	officer.eval(fmt.Sprintf(`document.querySelector('#ln-member').value = '%d'`, me.MemberID))
	if st := officer.click(`form[action$="/loans"] button.primary`); st != http.StatusOK {
		t.Fatalf("lend: %d", st)
	}
	if flash := officer.text(".flash"); flash != "已借出" {
		t.Errorf("flash after lending = %q", flash)
	}
	if loans := officer.text("#open-loans tbody"); !strings.Contains(loans, "乡土中国") {
		t.Errorf("open loans = %q", loans)
	}
	officer.shot("lent-desktop")
	officer.noConsoleErrors("officer", nil)

	// The member, on a phone: World Book Day of the 工委 (demo: 23 April this year), sign up.
	member.asPhone()
	if st := member.open("/reading/events"); st != http.StatusOK {
		t.Fatalf("GET /reading/events: %d", st)
	}
	member.noHorizontalScroll("phone events")
	member.shot("events-phone")
	var href string
	member.evalInto(`[...document.querySelectorAll('main a[href^="/reading/events/"]')].find(a => a.innerText.includes('世界读书日') &&
		a.closest('li').innerText.includes('2026年4月23日'))?.getAttribute('href') ?? ''`, &href)
	if href == "" {
		t.Fatal("no World Book Day activity on 2026年4月23日")
	}
	member.open(href)
	if h1 := member.text("main h1"); !strings.Contains(h1, "第10届") {
		t.Errorf("World Book Day h1 = %q, want 第10届 (8, 9, 10 over three years)", h1)
	}
	if st := member.click(`form[action$="/signup"] button.primary`); st != http.StatusOK {
		t.Fatalf("sign up: %d", st)
	}
	if status := member.text(".reading-signup .tag"); status != "已报名" {
		t.Errorf("sign-up status = %q", status)
	}
	member.noHorizontalScroll("phone event")
	member.shot("signed-up-phone")

	if st := member.open("/reading/my"); st != http.StatusOK {
		t.Fatalf("GET /reading/my: %d", st)
	}
	loans := member.text("#my-loans")
	if !strings.Contains(loans, "乡土中国") || !strings.Contains(loans, "支部读书角") || !strings.Contains(loans, "2026年4月9日") {
		t.Errorf("my loans = %q, want 乡土中国 from 支部读书角 due 2026年4月9日", loans)
	}
	if events := member.text("#my-events"); !strings.Contains(events, "世界读书日") {
		t.Errorf("my sign-ups = %q", events)
	}
	member.noHorizontalScroll("phone my reading")
	member.shot("my-reading-phone")
	member.noConsoleErrors("member", nil)

	// The member cannot open the officer's lending form (another role, same room): read-only page.
	member.open("/reading/rooms/" + room)
	if n := len(member.texts(`form[action$="/loans"]`)); n != 0 {
		t.Errorf("a member sees %d lending form(s)", n)
	}
}
