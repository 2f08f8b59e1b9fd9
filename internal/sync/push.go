package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// push sends local edits of one two-way entity to the remote: records mapped to a remote one
// whose mapped fields changed since the last run, and records made locally (edited after
// two-way was turned on) that the remote does not have yet.
func (r *runner) push(ctx context.Context, sp spec) error {
	e := r.s.PSA.Catalog.MustEntity(sp.name)
	req := &query.Request{Filter: []*query.Node{{Op: "gte", Field: "id", Value: int64(0)}}, FilterPresent: true}
	stamp := localStamp[sp.name]
	if stamp != "" && !r.st.LastPush.IsZero() {
		since := r.st.LastPush.Add(-time.Minute)
		if r.set.TwoWaySince.After(since) {
			since = r.set.TwoWaySince
		}
		req = &query.Request{Filter: []*query.Node{{Op: "gte", Field: stamp, Value: since.UTC().Format(time.RFC3339Nano)}}, FilterPresent: true}
	}
	ls := r.links[sp.name]
	var after int64 = -1
	done := 0
	for {
		rows, err := r.s.PSA.Query(r.lctx, e, req, nil, after, 500)
		if err != nil {
			return fmt.Errorf("reading local %s: %w", sp.name, err)
		}
		if len(rows) == 0 {
			break
		}
		for _, row := range rows {
			id := row.ID(e)
			after = id
			link := ls.byLocal[id]
			switch {
			case sp.name == "Companies" && id == 0:
				continue
			case link != nil && link.Orphaned:
				continue
			case link != nil:
				lh := r.localHash(sp.name, row)
				if lh == link.LocalHash {
					continue
				}
				r.pushUpdate(ctx, sp, row, link, lh)
			case stamp == "":
				continue // no way to tell local edits from old data: only mapped records push
			default:
				t, _ := row.Values[e.Index(stamp)].(time.Time)
				if t.Before(r.set.TwoWaySince) {
					continue // existing local data is not pushed until it is edited
				}
				r.pushCreate(ctx, sp, row)
			}
			done++
		}
		r.rs.progress(sp.name, "push", done, 0)
		r.beat(ctx, false)
		if len(rows) < 500 {
			break
		}
	}
	return nil
}

// toRemote translates a local row into the fields of a remote write.
func (r *runner) toRemote(sp spec, row *store.Row) (map[string]any, error) {
	e := r.s.PSA.Catalog.MustEntity(sp.name)
	out := map[string]any{}
	for _, f := range r.fields[sp.name] {
		v := row.Values[e.Index(f.Name)]
		switch {
		case v == nil:
			if !f.Required {
				out[f.Name] = nil
			}
		case f.Picklist:
			n, _ := v.(int64)
			pm := r.picks[sp.name][f.Name]
			if pm == nil {
				continue
			}
			rv, ok := pm.toRemote[n]
			if !ok {
				return nil, fmt.Errorf("%s value %d has no remote counterpart", f.Name, n)
			}
			out[f.Name] = rv
		case f.Reference != "":
			n, _ := v.(int64)
			ls := r.links[f.Reference]
			if ls == nil {
				continue
			}
			l := ls.byLocal[n]
			if l == nil {
				if f.Required && f.Reference != "Resources" { // an unsynced owner is left as the remote has it
					return nil, fmt.Errorf("%s %d is not synced with the remote", f.Name, n)
				}
				continue
			}
			out[f.Name] = l.RemoteID
		default:
			if t, ok := v.(time.Time); ok {
				out[f.Name] = autotask.FormatTime(t)
			} else {
				out[f.Name] = v
			}
		}
	}
	pairOrNeither(sp.name, out)
	return out, nil
}

func (r *runner) label(sp spec, row *store.Row) string {
	e := r.s.PSA.Catalog.MustEntity(sp.name)
	item := map[string]any{}
	for i, f := range e.Fields {
		if s, ok := row.Values[i].(string); ok {
			item[f.Name] = s
		}
	}
	return sp.label(item)
}

// parentRemote is the remote id of a row's parent (its company), for child-collection writes.
func (r *runner) parentRemote(sp spec, row *store.Row) (int64, error) {
	e := r.s.PSA.Catalog.MustEntity(sp.name)
	pid, _ := row.Values[e.Index(sp.parentField)].(int64)
	l := r.links[sp.parent].byLocal[pid]
	if l == nil || l.Orphaned {
		return 0, fmt.Errorf("its %s is not synced with the remote", sp.parentField)
	}
	return l.RemoteID, nil
}

func (r *runner) pushUpdate(ctx context.Context, sp spec, row *store.Row, link *store.SyncLink, lh string) {
	fail := func(err error) {
		r.rs.fail(sp.name, RecordError{LocalID: link.LocalID, RemoteID: link.RemoteID, Name: r.label(sp, row), Reason: "push: " + reason(err)})
	}
	body, err := r.toRemote(sp, row)
	if err != nil {
		fail(err)
		return
	}
	if sp.child != "" {
		pid, perr := r.parentRemote(sp, row)
		if perr != nil {
			fail(perr)
			return
		}
		err = r.c.ChildUpdate(ctx, sp.parent, pid, sp.child, link.RemoteID, body)
	} else {
		err = r.c.Update(ctx, sp.name, link.RemoteID, body)
	}
	if errors.Is(err, autotask.ErrNotFound) {
		link.Orphaned = true
		r.rs.count(sp.name, func(c *Counts) { c.Orphaned++ })
		_ = r.s.PSA.DB.SaveSyncLinks(ctx, r.rec.Name, []store.SyncLink{*link})
		return
	}
	if err != nil {
		fail(err)
		return
	}
	r.afterPush(ctx, sp, link, lh, fail)
}

func (r *runner) pushCreate(ctx context.Context, sp spec, row *store.Row) {
	e := r.s.PSA.Catalog.MustEntity(sp.name)
	localID := row.ID(e)
	fail := func(err error) {
		r.rs.fail(sp.name, RecordError{LocalID: localID, Name: r.label(sp, row), Reason: "push: " + reason(err)})
	}
	if sp.name == "Companies" {
		if r.set.DefaultAccountManager == 0 {
			fail(errors.New("a company created locally needs the job's default account manager (sync add --default-account-manager)"))
			return
		}
	}
	body, err := r.toRemote(sp, row)
	if err != nil {
		fail(err)
		return
	}
	if sp.name == "Companies" {
		body["ownerResourceID"] = r.set.DefaultAccountManager
	}
	var remoteID int64
	if sp.child != "" {
		pid, perr := r.parentRemote(sp, row)
		if perr != nil {
			fail(perr)
			return
		}
		remoteID, err = r.c.ChildCreate(ctx, sp.parent, pid, sp.child, body)
	} else {
		remoteID, err = r.c.Create(ctx, sp.name, body)
	}
	if err != nil {
		fail(err)
		return
	}
	link := &store.SyncLink{Entity: sp.name, RemoteID: remoteID, LocalID: localID}
	r.links[sp.name].put(link)
	r.afterPush(ctx, sp, link, r.localHash(sp.name, row), fail)
}

// afterPush reads the pushed record back, so that the next pull sees it unchanged.
func (r *runner) afterPush(ctx context.Context, sp spec, link *store.SyncLink, lh string, fail func(error)) {
	raw, err := r.c.Get(ctx, sp.name, link.RemoteID)
	if err != nil {
		fail(err)
		return
	}
	item, err := decodeItem(raw)
	if err != nil {
		fail(err)
		return
	}
	link.RemoteHash, link.LocalHash, link.Orphaned = r.remoteHash(sp.name, item), lh, false
	if err := r.s.PSA.DB.SaveSyncLinks(ctx, r.rec.Name, []store.SyncLink{*link}); err != nil {
		fail(err)
		return
	}
	r.rs.count(sp.name, func(c *Counts) { c.Pushed++ })
}
