package autotask

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Operator is a filter operator of the Autotask query language.
type Operator string

// The operators Autotask knows. OpAnd and OpOr group other conditions (Condition.Items).
const (
	OpEq         Operator = "eq"
	OpNotEq      Operator = "noteq"
	OpGt         Operator = "gt"
	OpGte        Operator = "gte"
	OpLt         Operator = "lt"
	OpLte        Operator = "lte"
	OpBeginsWith Operator = "beginsWith"
	OpEndsWith   Operator = "endsWith"
	OpContains   Operator = "contains"
	OpExist      Operator = "exist"
	OpNotExist   Operator = "notExist"
	OpIn         Operator = "in"
	OpNotIn      Operator = "notIn"
	OpAnd        Operator = "and"
	OpOr         Operator = "or"
)

// MaxPageSize is the largest page Autotask returns (and the default).
const MaxPageSize = 500

// MaxConditions is the most conditions one query may hold.
const MaxConditions = 500

var knownOps = map[Operator]bool{
	OpEq: true, OpNotEq: true, OpGt: true, OpGte: true, OpLt: true, OpLte: true,
	OpBeginsWith: true, OpEndsWith: true, OpContains: true, OpExist: true, OpNotExist: true,
	OpIn: true, OpNotIn: true, OpAnd: true, OpOr: true,
}

// Condition is one filter item: {"op","field","value","udf","items"}. Build it with Eq, In, Or, …
// String comparisons are case-insensitive on the server.
type Condition struct {
	Op    Operator    `json:"op"`
	Field string      `json:"field,omitempty"`
	Value any         `json:"value,omitempty"`
	IsUDF bool        `json:"udf,omitempty"`
	Items []Condition `json:"items,omitempty"`
}

func cond(op Operator, field string, value any) Condition {
	return Condition{Op: op, Field: field, Value: wireValue(value)}
}

// wireValue writes time.Time values the way Autotask does.
func wireValue(v any) any {
	switch t := v.(type) {
	case time.Time:
		return FormatTime(t)
	case *time.Time:
		if t != nil {
			return FormatTime(*t)
		}
	case Time:
		return FormatTime(t.Time)
	case *Time:
		if t != nil {
			return FormatTime(t.Time)
		}
	}
	return v
}

// Eq matches field = value.
func Eq(field string, value any) Condition { return cond(OpEq, field, value) }

// NotEq matches field ≠ value.
func NotEq(field string, value any) Condition { return cond(OpNotEq, field, value) }

// Gt matches field > value.
func Gt(field string, value any) Condition { return cond(OpGt, field, value) }

// Gte matches field ≥ value.
func Gte(field string, value any) Condition { return cond(OpGte, field, value) }

// Lt matches field < value.
func Lt(field string, value any) Condition { return cond(OpLt, field, value) }

// Lte matches field ≤ value.
func Lte(field string, value any) Condition { return cond(OpLte, field, value) }

// BeginsWith matches strings starting with value.
func BeginsWith(field, value string) Condition { return cond(OpBeginsWith, field, value) }

// EndsWith matches strings ending with value.
func EndsWith(field, value string) Condition { return cond(OpEndsWith, field, value) }

// Contains matches strings containing value.
func Contains(field, value string) Condition { return cond(OpContains, field, value) }

// Exist matches items where field has a value.
func Exist(field string) Condition { return Condition{Op: OpExist, Field: field} }

// NotExist matches items where field is empty.
func NotExist(field string) Condition { return Condition{Op: OpNotExist, Field: field} }

// In matches items whose field is one of values.
func In[T any](field string, values ...T) Condition {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = wireValue(v)
	}
	return Condition{Op: OpIn, Field: field, Value: vs}
}

// NotIn matches items whose field is none of values.
func NotIn[T any](field string, values ...T) Condition {
	c := In(field, values...)
	c.Op = OpNotIn
	return c
}

// And groups conditions that must all hold.
func And(conds ...Condition) Condition { return Condition{Op: OpAnd, Items: conds} }

// Or groups conditions of which at least one must hold.
func Or(conds ...Condition) Condition { return Condition{Op: OpOr, Items: conds} }

// UDF marks the condition as being on a user-defined field (Field is then the UDF's name).
// Autotask allows one UDF condition per query.
func (c Condition) UDF() Condition {
	c.IsUDF = true
	return c
}

// Query is the body of a query: {"filter":[…],"IncludeFields":[…],"MaxRecords":N}. The top-level
// conditions are ANDed. A query without conditions asks for every item (it is sent as
// {"op":"gte","field":"id","value":0}, since Autotask answers an empty filter with nothing).
// A nil *Query means the same.
type Query struct {
	Filter []Condition
	// IncludeFields limits the fields returned (plus id and userDefinedFields). "id" is added
	// when missing, because paging past 500 rows needs it.
	IncludeFields []string
	// MaxRecords is the page size, 1–500; 0 means Autotask's default of 500.
	MaxRecords int
}

// NewQuery returns a query with the given conditions (ANDed).
func NewQuery(conds ...Condition) *Query { return &Query{Filter: conds} }

// Where adds conditions (ANDed with those already there).
func (q *Query) Where(conds ...Condition) *Query {
	q.Filter = append(q.Filter, conds...)
	return q
}

// Include limits the fields returned.
func (q *Query) Include(fields ...string) *Query {
	q.IncludeFields = append(q.IncludeFields, fields...)
	return q
}

// Limit sets the page size (MaxRecords), 1–500.
func (q *Query) Limit(n int) *Query {
	q.MaxRecords = n
	return q
}

// matchAll is what clients send to mean "every item".
var matchAll = []Condition{{Op: OpGte, Field: "id", Value: 0}}

type wireQuery struct {
	Filter        []Condition `json:"filter"`
	IncludeFields []string    `json:"IncludeFields,omitempty"`
	MaxRecords    int         `json:"MaxRecords,omitempty"`
}

// MarshalJSON writes the query as Autotask expects it.
func (q Query) MarshalJSON() ([]byte, error) {
	w := wireQuery{Filter: q.Filter, MaxRecords: q.MaxRecords}
	if len(w.Filter) == 0 {
		w.Filter = matchAll
	}
	if len(q.IncludeFields) > 0 {
		hasID := false
		for _, f := range q.IncludeFields {
			hasID = hasID || strings.EqualFold(f, "id")
		}
		if !hasID {
			w.IncludeFields = append([]string{"id"}, q.IncludeFields...)
		} else {
			w.IncludeFields = q.IncludeFields
		}
	}
	return json.Marshal(w)
}

// Validate checks what Autotask would refuse or silently ignore: unknown operators (ignored by
// the server, which then returns everything), missing fields, values where none belong, empty
// lists and groups, more than one UDF condition, more than 500 conditions, a page size outside
// 1–500. The errors match ErrInvalidQuery.
func (q *Query) Validate() error {
	if q == nil {
		return nil
	}
	if q.MaxRecords < 0 || q.MaxRecords > MaxPageSize {
		return fmt.Errorf("%w: MaxRecords %d is not between 1 and %d", ErrInvalidQuery, q.MaxRecords, MaxPageSize)
	}
	var n, udfs int
	var walk func(cs []Condition, path string) error
	walk = func(cs []Condition, path string) error {
		for i, c := range cs {
			at := fmt.Sprintf("%s[%d]", path, i)
			n++
			if c.IsUDF {
				udfs++
			}
			if !knownOps[c.Op] {
				return fmt.Errorf("%w: %s: unknown operator %q", ErrInvalidQuery, at, c.Op)
			}
			switch c.Op {
			case OpAnd, OpOr:
				if len(c.Items) == 0 {
					return fmt.Errorf("%w: %s: empty %s group", ErrInvalidQuery, at, c.Op)
				}
				if err := walk(c.Items, at+".items"); err != nil {
					return err
				}
				continue
			case OpExist, OpNotExist:
				if c.Value != nil {
					return fmt.Errorf("%w: %s: %s takes no value", ErrInvalidQuery, at, c.Op)
				}
			case OpIn, OpNotIn:
				v := reflect.ValueOf(c.Value)
				if !v.IsValid() || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array) || v.Len() == 0 {
					return fmt.Errorf("%w: %s: %s needs a non-empty list", ErrInvalidQuery, at, c.Op)
				}
			}
			if c.Field == "" {
				return fmt.Errorf("%w: %s: %s needs a field", ErrInvalidQuery, at, c.Op)
			}
			if len(c.Items) > 0 {
				return fmt.Errorf("%w: %s: only and/or have items", ErrInvalidQuery, at)
			}
		}
		return nil
	}
	if err := walk(q.Filter, "filter"); err != nil {
		return err
	}
	if n > MaxConditions {
		return fmt.Errorf("%w: %d conditions (at most %d)", ErrInvalidQuery, n, MaxConditions)
	}
	if udfs > 1 {
		return fmt.Errorf("%w: %d UDF conditions (Autotask allows one per query)", ErrInvalidQuery, udfs)
	}
	return nil
}

// body validates and marshals q (nil meaning every item).
func (q *Query) body() ([]byte, error) {
	if q == nil {
		return json.Marshal(Query{})
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(q)
}
