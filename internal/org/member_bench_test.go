package org_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// benchEngines opens a fresh migrated database on each engine under benchmark (PostgreSQL when
// DANGJIAN_TEST_PG is set).
func benchEngines(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	if dbtest.PGURL() != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
	}
}

// benchSize is the roster size of the search benchmark: DANGJIAN_BENCH_MEMBERS or 1,000,000.
func benchSize(def int) int {
	if n, err := strconv.Atoi(os.Getenv("DANGJIAN_BENCH_MEMBERS")); err == nil && n > 0 {
		return n
	}
	return def
}

var (
	benchSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
		"何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "欧阳", "司马", "诸葛"}
	benchGiven = []rune("建国华明伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛超霞平刚桂英玉兰志红春梅海燕文斌宇浩然子轩欣怡晨阳思远嘉")
)

// benchName is a fictitious Chinese name: a surname (the first few are commoner) and one or two
// given characters, from rng or, when rng is nil, from the seed i.
func benchName(rng *rand.Rand, i int) string {
	if rng == nil {
		rng = rand.New(rand.NewPCG(uint64(i), 7))
	}
	s := benchSurnames[min(rng.IntN(len(benchSurnames)), rng.IntN(len(benchSurnames)))]
	n := 1 + rng.IntN(2)
	for range n {
		s += string(benchGiven[rng.IntN(len(benchGiven))])
	}
	return s
}

// seedMembers inserts n members with generated names spread over 50 branches, straight into the table
// (the sealed numbers are irrelevant to search), in batches.
func seedMembers(b *testing.B, r *roster, n int) {
	b.Helper()
	branches := []int64{r.b1, r.b2}
	committee := r.committee(b)
	err := r.d.Write(r.ctx(), func(tx *db.Tx) error {
		for i := range 48 {
			o, err := r.o.CreateTx(tx, org.NewOrg{ParentID: committee, Kind: org.Branch, Name: fmt.Sprintf("测试第%d支部", i)})
			if err != nil {
				return err
			}
			branches = append(branches, o.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 500
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		var sb strings.Builder
		sb.WriteString("INSERT INTO members (org_id, name, name_key, status, created_at, updated_at) VALUES ")
		args := make([]any, 0, 3*k)
		for i := range k {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?, ?, ?, 'full', 0, 0)")
			name := benchName(rng, 0)
			args = append(args, branches[rng.IntN(len(branches))], name, org.NameKey(name))
		}
		if err := r.d.Write(r.ctx(), func(tx *db.Tx) error { _, err := tx.Exec(sb.String(), args...); return err }); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.d.Exec(r.ctx(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// committee is the id of the roster's committee (the parent of its branches).
func (r *roster) committee(b testing.TB) int64 {
	var id int64
	if err := r.d.QueryRow(r.ctx(), "SELECT parent_id FROM orgs WHERE id = ?", r.b1).Scan(&id); err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkMemberNameSearch: the roster's name search (count and first page of 50, whole tree) over
// benchSize members, each query beside the bare LIKE scan (the same two statements with a LIKE no index
// can serve) in the same run. Targets (issue 3): 1–2 characters ≤ 1.2× bare, 3+ characters ≤ 5 %.
func BenchmarkMemberNameSearch(b *testing.B) {
	benchEngines(b, func(b *testing.B, d *db.DB) {
		r := newRoster(b, d)
		seedMembers(b, r, benchSize(1_000_000))
		root := r.admin.OrgID
		path := rosterPath(b, r, root)
		queries := []string{"王", "华", "建国", "王建国", "欧阳建国"}
		for _, q := range queries { // one untimed pass, so the first measurement does not pay for a cold cache
			if _, _, err := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: root, Q: q}); err != nil {
				b.Fatal(err)
			}
		}
		for _, q := range queries {
			name := fmt.Sprintf("%dchar_%s", len([]rune(q)), q)
			b.Run(name+"/indexed", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: root, Q: q}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/bare_like", func(b *testing.B) {
				const where = ` FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path LIKE ?
					AND (m.name || '') LIKE ? ESCAPE '\' AND m.terminal_state = ''`
				for b.Loop() {
					var total int
					if err := d.QueryRow(r.ctx(), "SELECT COUNT(*)"+where, path+"%", "%"+q+"%").Scan(&total); err != nil {
						b.Fatal(err)
					}
					rows, err := d.Query(r.ctx(), "SELECT m.*, o.name"+where+" ORDER BY m.name_key, m.id LIMIT 50", path+"%", "%"+q+"%")
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
					}
					rows.Close()
				}
			})
		}
	})
}
