package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/web"
)

// The web console's part of serve: its options, and the demo's console administrator and
// portal contact (kept in demo-credentials.json beside the API user).

// demoPortalEmail is the demo contact who signs in to the client portal (she has tickets).
const demoPortalEmail = "alice.archer@acmedental.example"

// integrations are the server's one connection, mail and sync service, shared by the console's
// Integrations pages and the background work (the IMAP poller, the SMTP listener, the sync
// scheduler): a sync run the page starts and one the scheduler starts meet in one service's
// check of what is running, as do a "Poll now" and the poller's round.
type integrations struct {
	conns *connection.Service // nil without the connection key
	mail  *mail.Service
	sync  *sync.Service // nil without the connection key
}

func (a *app) integrations(log *slog.Logger, svc *admin.Service) integrations {
	var in integrations
	if sealer, err := connection.LoadKey(a.cfg.DataDir, os.Getenv(connection.KeyEnv)); err == nil {
		in.conns = &connection.Service{DB: svc.DB, Sealer: sealer, Logger: log}
		in.sync = sync.New(svc, in.conns, log)
	} else {
		log.Warn("no connection key: the Integrations page cannot manage connections, mailboxes or sync jobs, sync jobs do not run on their schedules, and mailboxes cannot use IMAP passwords", slog.Any("error", err))
	}
	in.mail = mail.NewService(svc, in.conns, log)
	return in
}

func (a *app) webOptions(log *slog.Logger, in integrations) web.Options {
	opt := web.Options{Logger: log, FrameAncestors: strings.Fields(a.cfg.TileFrameAncestors)}
	if in.conns != nil {
		opt.Connections, opt.Mail, opt.Sync = in.conns, in.mail, in.sync
	}
	return opt
}

type demoLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ensureDemoWeb gives the demo tenant a console administrator password and a portal contact,
// once, and adds them to demo-credentials.json as "console" and "portal".
func (a *app) ensureDemoWeb(ctx context.Context, svc *admin.Service) error {
	b, err := os.ReadFile(a.demoFile())
	if err != nil {
		return nil // no demo file: the demo was not made by this data directory
	}
	var file map[string]any
	if err := json.Unmarshal(b, &file); err != nil {
		return fmt.Errorf("%s: %w", a.demoFile(), err)
	}
	if _, ok := file["console"]; ok {
		return nil
	}
	t, err := svc.DB.TenantByName(ctx, demoTenant)
	if err != nil {
		return err
	}
	tctx := store.WithTenant(ctx, t.ID)
	administrator, err := svc.Resource(tctx, "1")
	if err != nil {
		return err
	}
	console := demoLogin{Username: administrator.Username, Password: auth.GenerateSecret()}
	if _, err := svc.EditResource(tctx, "1", admin.ResourceChange{Password: console.Password}); err != nil {
		return fmt.Errorf("demo administrator: %w", err)
	}
	e := svc.Catalog.MustEntity(contactsName)
	where, err := query.Compile(&query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "emailAddress", Value: demoPortalEmail}}}, e, nil, svc.DB.Dialect)
	if err != nil {
		return err
	}
	rows, err := svc.DB.Page(tctx, e, where, -1, 1)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return errors.New("demo portal contact: no contact " + demoPortalEmail)
	}
	portal := demoLogin{Username: demoPortalEmail, Password: auth.GenerateSecret()}
	if err := svc.SetPortalAccess(tctx, rows[0].ID(e), portal.Password); err != nil {
		return fmt.Errorf("demo portal contact: %w", err)
	}
	file["console"], file["portal"] = console, portal
	out, _ := json.MarshalIndent(file, "", "  ")
	return os.WriteFile(a.demoFile(), append(out, '\n'), 0o600)
}

func (a *app) printDemoWeb() {
	b, err := os.ReadFile(a.demoFile())
	if err != nil {
		return
	}
	var c struct{ Console, Portal *demoLogin }
	if json.Unmarshal(b, &c) != nil || c.Console == nil || c.Portal == nil {
		return
	}
	base := a.cfg.Public()
	if !stdoutIsTerminal(a.out) {
		// Passwords reach a terminal only, never a service manager's log.
		fmt.Fprintf(a.out, "Console: %s/ (administrator %s), client portal: %s/ClientPortal/ (contact %s); their passwords are in %s.\n",
			base, c.Console.Username, base, c.Portal.Username, abs(a.demoFile()))
		return
	}
	fmt.Fprintf(a.out, `Console: %s/
  Administrator:  %s
  Password:       %s

Client portal: %s/ClientPortal/  (tile: %s/tile/my-tickets)
  Contact email:  %s
  Password:       %s

`, base, c.Console.Username, c.Console.Password, base, base, c.Portal.Username, c.Portal.Password)
}

// contactsName is checked against the catalog when the package starts: a wrong name stops the
// program there.
const contactsName = "Contacts"

var _ = catalog.Default.MustEntity(contactsName)
