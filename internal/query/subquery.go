package query

import (
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// Sub is a semi-join the server adds to a query (access scopes: "tickets whose company I own",
// "notes of tickets assigned to me"). A client can never produce one: Parse leaves Node.Sub nil.
// The node reads Field [NOT] IN (SELECT Select FROM Entity WHERE tenant_id = Tenant AND Filter),
// with every name going through the catalog and every value a parameter, as for client filters.
type Sub struct {
	Entity *catalog.Entity
	Select string  // a field of Entity
	Filter []*Node // ANDed; empty matches every row of the tenant
	Tenant int64
}

// semiJoin compiles a node carrying a Sub; its Op is "in" or "notin".
func (c *compiler) semiJoin(n *Node, depth int) (frag, error) {
	not := strings.EqualFold(n.Op, "notin")
	x, err := c.operand(n, false)
	if err != nil {
		return frag{}, err
	}
	sel, ok := n.Sub.Entity.Field(n.Sub.Select)
	if !ok {
		return frag{}, errUnknownField(n.Sub.Select, n.Sub.Entity)
	}
	inner := &compiler{e: n.Sub.Entity, w: c.w}
	where, err := inner.group("and", n.Sub.Filter, depth+1)
	if err != nil {
		return frag{}, err
	}
	c.nargs += inner.nargs
	switch where.truth {
	case never: // the inner set is empty
		if not {
			return frag{truth: always}, nil
		}
		return frag{truth: never}, nil
	case always, dropped:
		where = frag{}
	}
	var b strings.Builder
	b.WriteString(x.sql + " " + notKeyword(not) + "IN (SELECT " + quoteIdent(sel.Column) + " FROM " + quoteIdent(n.Sub.Entity.Table) + " WHERE tenant_id = " + ph)
	args := append(append([]any(nil), x.args...), n.Sub.Tenant)
	if where.sql != "" {
		b.WriteString(" AND (" + where.sql + ")")
		args = append(args, where.args...)
	}
	b.WriteString(")")
	return frag{sql: b.String(), args: args}, nil
}
