package autotask

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
)

// decode decodes one item into T; entity structs of this package decode leniently.
func decode[T any](raw json.RawMessage, what string) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("autotask: decoding %s: %w", what, err)
	}
	return v, nil
}

// GetAs is Get decoded into T, e.g. GetAs[autotask.Ticket](ctx, c, "Tickets", 42).
func GetAs[T any](ctx context.Context, c *Client, entity string, itemID int64) (*T, error) {
	raw, err := c.Get(ctx, entity, itemID)
	if err != nil {
		return nil, err
	}
	v, err := decode[T](raw, fmt.Sprintf("%s %d", entity, itemID))
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// QueryAs is Query decoded into T: the first page and its paging details.
func QueryAs[T any](ctx context.Context, c *Client, entity string, q *Query) ([]T, PageDetails, error) {
	p, err := c.Query(ctx, entity, q)
	if err != nil {
		return nil, PageDetails{}, err
	}
	out := make([]T, 0, len(p.Items))
	for _, raw := range p.Items {
		v, err := decode[T](raw, "item of "+entity)
		if err != nil {
			return nil, p.PageDetails, err
		}
		out = append(out, v)
	}
	return out, p.PageDetails, nil
}

// AllAs is All decoded into T.
func AllAs[T any](ctx context.Context, c *Client, entity string, q *Query) iter.Seq2[T, error] {
	return decodeSeq[T](c.All(ctx, entity, q), "item of "+entity)
}

func decodeSeq[T any](seq iter.Seq2[json.RawMessage, error], what string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for raw, err := range seq {
			var v T
			if err == nil {
				v, err = decode[T](raw, what)
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// ChildGetAs is ChildGet decoded into T.
func ChildGetAs[T any](ctx context.Context, c *Client, parent string, parentID int64, child string, itemID int64) (*T, error) {
	raw, err := c.ChildGet(ctx, parent, parentID, child, itemID)
	if err != nil {
		return nil, err
	}
	v, err := decode[T](raw, fmt.Sprintf("%s/%d/%s %d", parent, parentID, child, itemID))
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// ChildListAs is ChildList decoded into T.
func ChildListAs[T any](ctx context.Context, c *Client, parent string, parentID int64, child string) ([]T, error) {
	var out []T
	for v, err := range decodeSeq[T](c.childAll(ctx, parent, parentID, child), "item of "+parent+"/"+child) {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Ptr returns a pointer to v, for filling the pointer fields of entity structs.
func Ptr[T any](v T) *T { return &v }

// Value returns *p, or the zero value when p is nil.
func Value[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
