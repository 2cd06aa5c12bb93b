package files

import (
	"context"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// Attacher uploads a file on its own (before the record that will link it exists), for callers with
// business write access over orgID.
type Attacher struct {
	store *Store
	auth  *auth.Service
	db    *db.DB
}

// NewAttacher returns an Attacher.
func NewAttacher(s *Store, a *auth.Service, d *db.DB) *Attacher {
	return &Attacher{store: s, auth: a, db: d}
}

// Attach checks the caller may write business data of orgID and stores the file there.
func (a *Attacher) Attach(ctx context.Context, p auth.Principal, orgID int64, name string, data []byte) (File, error) {
	if _, err := Sniff(data, "file"); err != nil {
		return File{}, err
	}
	if err := a.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: orgID}); err != nil {
		return File{}, err
	}
	var f File
	err := a.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		f, err = a.store.PutTx(tx, orgID, p.UserID, name, data, "file")
		return err
	})
	return f, err
}
