package catalog_test

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// TestInternalCurrencyCosts: an amount in the internal currency is the same amount as the field
// it converts, so internalCurrencyX is cost data ("Can't Read Costs" hides it) whenever X is;
// otherwise the hidden cost reads, and filters, through its internal-currency twin.
func TestInternalCurrencyCosts(t *testing.T) {
	checked := 0
	for _, e := range catalog.Default.Entities() {
		for _, f := range e.Fields {
			rest, ok := strings.CutPrefix(f.Name, "internalCurrency")
			if !ok || rest == "" {
				continue
			}
			base, ok := e.Field(strings.ToLower(rest[:1]) + rest[1:])
			if !ok {
				continue
			}
			checked++
			if base.Cost && !f.Cost {
				t.Errorf("%s.%s is cost data but %s is not", e.Name, base.Name, f.Name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no internalCurrency field found: the check checks nothing")
	}
}

// TestCostFields names cost data that must stay hidden from levels that cannot read costs, and
// prices that must not be.
func TestCostFields(t *testing.T) {
	for name, want := range map[string]bool{
		"Contracts.setupFee": true, "Contracts.internalCurrencySetupFee": true, "Contracts.estimatedCost": true,
		"Projects.laborEstimatedCosts": true, "Projects.projectCostsBudget": true, "Projects.changeOrdersBudget": true,
		"Projects.laborEstimatedMarginPercentage": true, "Projects.projectCostEstimatedMarginPercentage": true, "Projects.estimatedSalesCost": true,
		"Products.unitCost": true, "Products.markupRate": true, "QuoteItems.averageCost": true, "ContractRoleCosts.rate": true,
		"PurchaseOrderItems.internalCurrencyUnitCost": true, "PurchaseOrders.internalCurrencyFreight": true, "Resources.internalCost": true,
		"Products.unitPrice": false, "Contracts.internalCurrencyOverageBillingRate": false, "Projects.laborEstimatedRevenue": false,
		"Roles.hourlyRate": false, "QuoteItems.internalCurrencyUnitPrice": false,
	} {
		en, fn, _ := strings.Cut(name, ".")
		f, ok := catalog.Default.MustEntity(en).Field(fn)
		if !ok {
			t.Errorf("%s: no such field", name)
			continue
		}
		if f.Cost != want {
			t.Errorf("%s: Cost = %v, want %v", name, f.Cost, want)
		}
	}
}

// TestCreateDefaultsActive: every collection that can be created with an isActive field makes
// new rows active when the field is not sent, except webhooks, which must say.
func TestCreateDefaultsActive(t *testing.T) {
	for _, e := range catalog.Default.Entities() {
		f, ok := e.Field("isActive")
		if !ok || f.ReadOnly {
			continue
		}
		webhook := strings.HasSuffix(e.Name, "Webhooks")
		switch {
		case webhook && f.OnCreate != nil:
			t.Errorf("%s.isActive has a create default; webhooks must send it", e.Name)
		case !webhook && f.OnCreate == nil:
			t.Errorf("%s.isActive has no create default", e.Name)
		case f.OnCreate != nil && f.Type == catalog.Boolean && f.OnCreate != true:
			t.Errorf("%s.isActive defaults to %#v", e.Name, f.OnCreate)
		case f.OnCreate != nil && f.Type.IsInteger() && f.OnCreate != int64(1):
			t.Errorf("%s.isActive defaults to %#v", e.Name, f.OnCreate)
		}
	}
}

// TestMustIndex: a field named in code resolves to its index, and a name the entity lacks
// panics with the entity and the name, so that a package variable holding it stops the program
// at start.
func TestMustIndex(t *testing.T) {
	e := catalog.Default.MustEntity("Tickets")
	if i := catalog.MustIndex("Tickets", "title"); e.Fields[i].Name != "title" {
		t.Errorf("MustIndex(Tickets, title) = %d (%s)", i, e.Fields[i].Name)
	}
	if i := e.IDIndex(); i < 0 || e.Fields[i].Name != "id" {
		t.Errorf("IDIndex = %d", i)
	}
	defer func() {
		if msg, _ := recover().(string); msg != `catalog: entity Tickets has no field "titel"` {
			t.Errorf("panic %q", msg)
		}
	}()
	e.MustIndex("titel")
}
