package autotask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
)

// PageDetails is the paging part of a query answer.
type PageDetails struct {
	Count        int `json:"count"`
	RequestCount int `json:"requestCount"`
	// PrevPageURL and NextPageURL are absolute URLs ("" when there is none).
	PrevPageURL string `json:"prevPageUrl"`
	NextPageURL string `json:"nextPageUrl"`
}

// Page is one page of a query: at most 500 items, ordered by id.
type Page struct {
	Items       []json.RawMessage `json:"items"`
	PageDetails PageDetails       `json:"pageDetails"`

	body []byte // the query, to send again to NextPageURL
}

// Get returns the item with the given id: {"item":{…}} → the object. {"item":null} is an error
// matching ErrNotFound.
func (c *Client) Get(ctx context.Context, entity string, itemID int64) (json.RawMessage, error) {
	if err := checkName("collection", entity); err != nil {
		return nil, err
	}
	u, err := c.endpoint(ctx, entity, id(itemID))
	if err != nil {
		return nil, err
	}
	return c.getItem(ctx, u, entity, itemID)
}

func (c *Client) getItem(ctx context.Context, u, entity string, itemID int64) (json.RawMessage, error) {
	body, err := c.send(ctx, call{method: http.MethodGet, url: u, auth: true, safe: true})
	if err != nil {
		return nil, err
	}
	var env struct {
		Item json.RawMessage `json:"item"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("autotask: decoding %s %d: %w", entity, itemID, err)
	}
	if len(env.Item) == 0 || bytes.Equal(env.Item, []byte("null")) {
		return nil, &NotFoundError{Entity: entity, ID: itemID}
	}
	return env.Item, nil
}

// Query returns the first page of the items of entity that match q (nil: every item). Use
// NextPage or All for the rest.
func (c *Client) Query(ctx context.Context, entity string, q *Query) (*Page, error) {
	if err := checkName("collection", entity); err != nil {
		return nil, err
	}
	body, err := q.body()
	if err != nil {
		return nil, err
	}
	u, err := c.endpoint(ctx, entity, "query")
	if err != nil {
		return nil, err
	}
	return c.fetchPage(ctx, http.MethodPost, u, body, true)
}

// NextPage returns the page after p, or nil (and no error) when p is the last.
func (c *Client) NextPage(ctx context.Context, p *Page) (*Page, error) {
	if p == nil || p.PageDetails.NextPageURL == "" {
		return nil, nil
	}
	method := http.MethodPost
	if p.body == nil { // a child list, fetched with GET
		method = http.MethodGet
	}
	return c.follow(ctx, method, p.PageDetails.NextPageURL, p.body)
}

// follow fetches a nextPageUrl the way Autotask expects: after a POST query, POST with the same
// body; after a GET, GET. The credentials go only to the zone's own scheme and host.
func (c *Client) follow(ctx context.Context, method, next string, body []byte) (*Page, error) {
	base, err := c.baseURL(ctx)
	if err != nil {
		return nil, err
	}
	u, err := base.Parse(next) // absolute as sent; resolved against the zone if relative
	if err != nil {
		return nil, fmt.Errorf("autotask: nextPageUrl %q: %w", next, err)
	}
	same := strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
	return c.fetchPage(ctx, method, u.String(), body, same)
}

func (c *Client) fetchPage(ctx context.Context, method, u string, body []byte, auth bool) (*Page, error) {
	raw, err := c.send(ctx, call{method: method, url: u, body: body, auth: auth, safe: true})
	if err != nil {
		return nil, err
	}
	p := &Page{body: body}
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("autotask: decoding page of %s: %w", pathOf(u), err)
	}
	return p, nil
}

// All iterates over every item of entity that matches q (nil: every item), page after page,
// following pageDetails.nextPageUrl. Stop early by breaking out of the loop; an error ends the
// sequence.
//
//	for item, err := range c.All(ctx, "Tickets", q) { … }
func (c *Client) All(ctx context.Context, entity string, q *Query) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		p, err := c.Query(ctx, entity, q)
		pages(ctx, c, p, err, yield)
	}
}

func pages(ctx context.Context, c *Client, p *Page, err error, yield func(json.RawMessage, error) bool) {
	seen := map[string]bool{}
	for {
		if err != nil {
			yield(nil, err)
			return
		}
		for _, it := range p.Items {
			if !yield(it, nil) {
				return
			}
		}
		next := p.PageDetails.NextPageURL
		if next == "" {
			return
		}
		if seen[next] {
			yield(nil, fmt.Errorf("autotask: the server sent nextPageUrl %s twice", stripQuery(next)))
			return
		}
		seen[next] = true
		p, err = c.NextPage(ctx, p)
	}
}

// Count returns how many items of entity match q (nil: every item).
func (c *Client) Count(ctx context.Context, entity string, q *Query) (int, error) {
	if err := checkName("collection", entity); err != nil {
		return 0, err
	}
	body, err := q.body()
	if err != nil {
		return 0, err
	}
	u, err := c.endpoint(ctx, entity, "query", "count")
	if err != nil {
		return 0, err
	}
	raw, err := c.send(ctx, call{method: http.MethodPost, url: u, body: body, auth: true, safe: true})
	if err != nil {
		return 0, err
	}
	var r struct {
		QueryCount int `json:"queryCount"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("autotask: decoding count of %s: %w", entity, err)
	}
	return r.QueryCount, nil
}

// Create creates an item (a struct such as Ticket, a map, or raw JSON) and returns its id.
// It is never retried automatically: a repeated create could make two items.
func (c *Client) Create(ctx context.Context, entity string, item any) (int64, error) {
	if err := checkName("collection", entity); err != nil {
		return 0, err
	}
	u, err := c.endpoint(ctx, entity)
	if err != nil {
		return 0, err
	}
	return c.write(ctx, http.MethodPost, u, item, nil)
}

// Update changes the given fields of item itemID (PATCH, with the id in the body as Autotask
// wants it). fields is a struct or a map; with an entity struct only the non-nil fields are sent.
func (c *Client) Update(ctx context.Context, entity string, itemID int64, fields any) error {
	if err := checkName("collection", entity); err != nil {
		return err
	}
	u, err := c.endpoint(ctx, entity)
	if err != nil {
		return err
	}
	_, err = c.write(ctx, http.MethodPatch, u, fields, &itemID)
	return err
}

// Replace replaces item itemID (PUT): fields left out become empty.
func (c *Client) Replace(ctx context.Context, entity string, itemID int64, item any) error {
	if err := checkName("collection", entity); err != nil {
		return err
	}
	u, err := c.endpoint(ctx, entity)
	if err != nil {
		return err
	}
	_, err = c.write(ctx, http.MethodPut, u, item, &itemID)
	return err
}

// Delete deletes item itemID.
func (c *Client) Delete(ctx context.Context, entity string, itemID int64) error {
	if err := checkName("collection", entity); err != nil {
		return err
	}
	u, err := c.endpoint(ctx, entity, id(itemID))
	if err != nil {
		return err
	}
	_, err = c.send(ctx, call{method: http.MethodDelete, url: u, auth: true})
	return err
}

// write sends a create/update/replace body, with "id" set to *itemID when given, and returns
// the itemId of the answer.
func (c *Client) write(ctx context.Context, method, u string, item any, itemID *int64) (int64, error) {
	body, err := marshalBody(item)
	if err != nil {
		return 0, err
	}
	if itemID != nil {
		if body, err = withID(body, *itemID); err != nil {
			return 0, err
		}
	}
	raw, err := c.send(ctx, call{method: method, url: u, body: body, auth: true})
	if err != nil {
		return 0, err
	}
	var r struct {
		ItemID *int64 `json:"itemId"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("autotask: decoding answer of %s %s: %w", method, pathOf(u), err)
	}
	if r.ItemID == nil {
		if itemID != nil {
			return *itemID, nil
		}
		return 0, fmt.Errorf("autotask: answer of %s %s has no itemId", method, pathOf(u))
	}
	return *r.ItemID, nil
}

// withID puts "id": itemID into a JSON object, replacing any id key whatever its case.
func withID(body []byte, itemID int64) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errors.New("autotask: an update body must be a JSON object")
	}
	for k := range m {
		if strings.EqualFold(k, "id") {
			delete(m, k)
		}
	}
	m["id"] = json.RawMessage(id(itemID))
	return json.Marshal(m)
}

func (c *Client) childURL(ctx context.Context, parent string, parentID int64, child string, rest ...string) (string, error) {
	if err := checkName("collection", parent); err != nil {
		return "", err
	}
	if err := checkName("child collection", child); err != nil {
		return "", err
	}
	return c.endpoint(ctx, append([]string{parent, id(parentID), child}, rest...)...)
}

// ChildList returns every item of a child collection, e.g. ("Tickets", 42, "Notes"), following
// nextPageUrl when there is more than a page.
func (c *Client) ChildList(ctx context.Context, parent string, parentID int64, child string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for it, err := range c.childAll(ctx, parent, parentID, child) {
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

func (c *Client) childAll(ctx context.Context, parent string, parentID int64, child string) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		u, err := c.childURL(ctx, parent, parentID, child)
		var p *Page
		if err == nil {
			p, err = c.fetchPage(ctx, http.MethodGet, u, nil, true)
		}
		pages(ctx, c, p, err, yield)
	}
}

// ChildGet returns one item of a child collection; {"item":null} matches ErrNotFound.
func (c *Client) ChildGet(ctx context.Context, parent string, parentID int64, child string, itemID int64) (json.RawMessage, error) {
	u, err := c.childURL(ctx, parent, parentID, child, id(itemID))
	if err != nil {
		return nil, err
	}
	return c.getItem(ctx, u, parent+"/"+id(parentID)+"/"+child, itemID)
}

// ChildCreate creates an item in a child collection (e.g. a note through "Tickets", id, "Notes")
// and returns its id. Never retried automatically.
func (c *Client) ChildCreate(ctx context.Context, parent string, parentID int64, child string, item any) (int64, error) {
	u, err := c.childURL(ctx, parent, parentID, child)
	if err != nil {
		return 0, err
	}
	return c.write(ctx, http.MethodPost, u, item, nil)
}

// ChildUpdate changes the given fields of an item of a child collection (PATCH, id in the body).
func (c *Client) ChildUpdate(ctx context.Context, parent string, parentID int64, child string, itemID int64, fields any) error {
	u, err := c.childURL(ctx, parent, parentID, child)
	if err != nil {
		return err
	}
	_, err = c.write(ctx, http.MethodPatch, u, fields, &itemID)
	return err
}

// ChildReplace replaces an item of a child collection (PUT).
func (c *Client) ChildReplace(ctx context.Context, parent string, parentID int64, child string, itemID int64, item any) error {
	u, err := c.childURL(ctx, parent, parentID, child)
	if err != nil {
		return err
	}
	_, err = c.write(ctx, http.MethodPut, u, item, &itemID)
	return err
}

// ChildDelete deletes an item of a child collection.
func (c *Client) ChildDelete(ctx context.Context, parent string, parentID int64, child string, itemID int64) error {
	u, err := c.childURL(ctx, parent, parentID, child, id(itemID))
	if err != nil {
		return err
	}
	_, err = c.send(ctx, call{method: http.MethodDelete, url: u, auth: true})
	return err
}
