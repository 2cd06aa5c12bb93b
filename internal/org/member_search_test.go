package org_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// searchNames are names of one to five characters, with ASCII in both cases and LIKE's and FTS5's own
// syntax characters, so the indexed search has every chance to differ from LIKE.
var searchNames = []string{"王", "李", "王五", "五王", "建国", "李建国", "王建国", "欧阳明华", "欧阳张三丰", "张三丰", "张三",
	"Anna", "anna lee", "ANNA", "50%_off", `引"号人`, "a*b OR c", "明华明华", "阿依古丽·买买提"}

// TestMemberNameSearchEqualsLike: the indexed name search (trigram from three characters on) returns
// exactly what members.name LIKE '%q%' returns — for every 1-, 2-, 3- and 4-character substring of every
// name and for queries that match nothing — and the index follows inserts, renames and deletes.
func TestMemberNameSearchEqualsLike(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		ids := map[string]int64{}
		err := d.Write(r.ctx(), func(tx *db.Tx) error {
			for i, n := range searchNames {
				org := r.b1
				if i%2 == 1 {
					org = r.b2
				}
				var id int64
				err := tx.QueryRow(`INSERT INTO members (org_id, name, status, created_at, updated_at)
					VALUES (?, ?, 'full', 0, 0) RETURNING id`, org, n).Scan(&id)
				if err != nil {
					return err
				}
				ids[n] = id
			}
			// The index follows a rename and a delete.
			if _, err := tx.Exec("UPDATE members SET name = '王建华' WHERE id = ?", ids["王建国"]); err != nil {
				return err
			}
			_, err := tx.Exec("DELETE FROM members WHERE id = ?", ids["张三"])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		queries := map[string]bool{"不存在的人": true, "xyz": true, "ZZ": true, "王建国": true, "王建华": true, "张三": true}
		for _, n := range searchNames {
			rs := []rune(n)
			for size := 1; size <= 4; size++ {
				for i := 0; i+size <= len(rs); i++ {
					queries[string(rs[i:i+size])] = true
				}
			}
		}
		root := r.admin.OrgID
		for q := range queries {
			if strings.TrimSpace(q) != "" {
				likeIDs := r.likeIDs(t, q)
				items, total, err := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: root, Q: q, Limit: 500})
				if err != nil {
					t.Fatalf("%q: %v", q, err)
				}
				var got []int64
				for _, m := range items {
					got = append(got, m.ID)
				}
				slices.Sort(got)
				if !slices.Equal(got, likeIDs) || total != len(likeIDs) {
					t.Errorf("search %q: got %v (total %d), LIKE gives %v", q, got, total, likeIDs)
				}
			}
		}
		if got := r.likeIDs(t, "王建华"); len(got) != 1 {
			t.Fatalf("rename not seen by LIKE: %v", got)
		}
		if !r.o.NameIndexed(r.ctx()) {
			t.Logf("%s: no trigram index (pg_trgm unavailable): search scanned", d.Engine())
		}
	})
}

// likeIDs is the bare LIKE the search must equal (of the query without surrounding spaces, as the
// roster search takes it), over the whole roster, sorted.
func (r *roster) likeIDs(t *testing.T, q string) []int64 {
	t.Helper()
	esc := ""
	for _, c := range strings.TrimSpace(q) {
		if c == '\\' || c == '%' || c == '_' {
			esc += `\`
		}
		esc += string(c)
	}
	rows, err := r.d.Query(r.ctx(), `SELECT id FROM members WHERE name LIKE ? ESCAPE '\' AND terminal_state = '' ORDER BY id`,
		"%"+esc+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []int64(nil)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}
