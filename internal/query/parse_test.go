package query

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *Request
	}{
		{
			name: "documented shape",
			body: `{"filter":[{"op":"eq","field":"status","value":1}],"IncludeFields":["id","title"],"MaxRecords":50}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "eq", Field: "status", Value: json.Number("1")}},
				IncludeFields: []string{"id", "title"}, MaxRecords: 50},
		},
		{
			name: "keys in any case",
			body: `{"Filter":[{"Op":"EQ","FIELD":"Status","Value":"1","UDF":false}],"includeFields":["ID"],"maxRecords":5}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "eq", Field: "Status", Value: "1"}},
				IncludeFields: []string{"ID"}, MaxRecords: 5},
		},
		{
			name: "Autotask's own nextPageUrl search",
			body: `{'filter':[{'op':'exist','field':'IsActive'}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "exist", Field: "IsActive"}}},
		},
		{
			name: "single quotes with escapes, double quotes and apostrophes",
			body: `{'filter':[{'op':'in','field':'title','value':['O\'Brien','say "hi"','a\\b','tab\t','\u00e9']}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "in", Field: "title",
				Value: []any{"O'Brien", `say "hi"`, `a\b`, "tab\t", "é"}}}},
		},
		{
			name: "apostrophes inside double-quoted strings are left alone",
			body: `{"filter":[{"op":"eq","field":"title","value":"it's 'quoted'"}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "eq", Field: "title", Value: "it's 'quoted'"}}},
		},
		{
			name: "mixed quoting",
			body: `{'filter':[{"op":'contains','field':"title",'value':"x'y"}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "contains", Field: "title", Value: "x'y"}}},
		},
		{
			name: "nested groups",
			body: `{"filter":[{"op":"or","items":[{"op":"eq","field":"status","value":1},{"op":"and","items":[{"op":"exist","field":"title"}]}]}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "or", Items: []*Node{
				{Op: "eq", Field: "status", Value: json.Number("1")},
				{Op: "and", Items: []*Node{{Op: "exist", Field: "title"}}},
			}}}},
		},
		{
			name: "udf flag forms",
			body: `{"filter":[{"op":"exist","field":"A","udf":true},{"op":"exist","field":"B","udf":"True"},{"op":"exist","field":"C","udf":1},{"op":"exist","field":"D","udf":null}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{
				{Op: "exist", Field: "A", UDF: true}, {Op: "exist", Field: "B", UDF: true},
				{Op: "exist", Field: "C", UDF: true}, {Op: "exist", Field: "D"},
			}},
		},
		{
			name: "unknown keys ignored",
			body: `{"sort":"id","page":2,"filter":[{"op":"exist","field":"id","extra":{"a":[1]}}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "exist", Field: "id"}}},
		},
		{
			name: "missing filter",
			body: `{"MaxRecords":10}`,
			want: &Request{MaxRecords: 10},
		},
		{
			name: "null filter",
			body: `{"filter":null}`,
			want: &Request{},
		},
		{
			name: "empty filter is present",
			body: `{"filter":[]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{}},
		},
		{
			name: "null items are skipped",
			body: `{"filter":[null,{"op":"exist","field":"id"}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "exist", Field: "id"}}},
		},
		{
			name: "a single filter object is a list of one",
			body: `{"filter":{"op":"exist","field":"id"}}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "exist", Field: "id"}}},
		},
		{
			name: "last of two keys differing in case wins",
			body: `{"filter":[{"op":"exist","field":"a"}],"Filter":[{"op":"exist","field":"b"}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "exist", Field: "b"}}},
		},
		{
			name: "op and field given as numbers",
			body: `{"filter":[{"op":"exist","field":7}]}`,
			want: &Request{FilterPresent: true, Filter: []*Node{{Op: "exist", Field: "7"}}},
		},
		{
			name: "null body",
			body: `null`,
			want: &Request{},
		},
		{
			name: "byte order mark and whitespace",
			body: "\xEF\xBB\xBF \r\n{\"filter\":[]}\n",
			want: &Request{FilterPresent: true, Filter: []*Node{}},
		},
		{
			name: "MaxRecords as a string",
			body: `{"maxrecords":"25"}`,
			want: &Request{MaxRecords: 25},
		},
		{
			name: "MaxRecords 5.0",
			body: `{"MaxRecords":5.0}`,
			want: &Request{MaxRecords: 5},
		},
		{
			name: "MaxRecords 0 is refused, not read as the default",
			body: `{"MaxRecords":0}`,
			want: &Request{MaxRecords: -1},
		},
		{
			name: "MaxRecords null is absent",
			body: `{"MaxRecords":null}`,
			want: &Request{},
		},
		{
			name: "MaxRecords not a whole number",
			body: `{"MaxRecords":2.5}`,
			want: &Request{MaxRecords: -1},
		},
		{
			name: "MaxRecords huge",
			body: `{"MaxRecords":1e30}`,
			want: &Request{MaxRecords: -1},
		},
		{
			name: "MaxRecords null",
			body: `{"MaxRecords":null}`,
			want: &Request{},
		},
		{
			name: "IncludeFields as one string",
			body: `{"IncludeFields":"title"}`,
			want: &Request{IncludeFields: []string{"title"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%s)\n got %s\nwant %s", tt.body, dump(got), dump(tt.want))
			}
		})
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tooDeep := "The query is nested more than 64 levels deep."
	tests := []struct {
		name string
		body string
		want string
	}{
		{"not JSON", `filter=5`, "The query is not valid JSON: invalid character 'i' in literal false (expecting 'a')."},
		{"truncated", `{"filter":[`, "The query is not valid JSON: unexpected end of input."},
		{"unclosed single quote", `{'filter`, "The query is not valid JSON: unexpected end of input."},
		{"trailing text", `{"filter":[]} x`, "The query is not valid JSON: invalid character 'x' after top-level value."},
		{"two objects", `{"filter":[]}{}`, "The query is not valid JSON: invalid character '{' after top-level value."},
		{"empty", ``, "The query is not valid JSON: unexpected end of input."},
		{"blank", " \r\n", "The query is not valid JSON: unexpected end of input."},
		{"array body", `[{"op":"eq"}]`, "The query must be a JSON object."},
		{"string body", `"filter"`, "The query must be a JSON object."},
		{"filter a string", `{"filter":"id"}`, "The filter must be an array of filter items."},
		{"item a number", `{"filter":[5]}`, "Each filter item must be a JSON object."},
		{"op an object", `{"filter":[{"op":{}}]}`, "The op of a filter item must be a string."},
		{"udf a word", `{"filter":[{"op":"exist","udf":"yes"}]}`, "The udf of a filter item must be true or false."},
		{"IncludeFields objects", `{"IncludeFields":[{}]}`, "IncludeFields must be an array of field names."},
		{"65 filter levels", nestedGroups(65), tooDeep},
		{"1,000 filter levels", nestedGroups(1000), tooDeep},
		{"1,000 brackets", `{"filter":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, tooDeep},
		{"100,000 brackets, unclosed", strings.Repeat("[", 100000), tooDeep},
		{"100,000 deep value", `{"filter":[{"op":"in","field":"id","value":` + strings.Repeat("[", 100000) + `]}]}`, tooDeep},
		{"100,000 deep single-quoted objects", strings.Repeat("{'a':", 100000), tooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse gave %s; want error %q", dump(req), tt.want)
			}
			wantAppErr(t, err, tt.want)
		})
	}
}

// nestedGroups is a body whose filter nests and-groups depth levels deep.
func nestedGroups(depth int) string {
	var b strings.Builder
	b.WriteString(`{"filter":[`)
	for range depth - 1 {
		b.WriteString(`{"op":"and","items":[`)
	}
	b.WriteString(`{"op":"exist","field":"id"}`)
	for range depth - 1 {
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

func TestParseDepthLimit(t *testing.T) {
	t.Parallel()
	req, err := Parse([]byte(nestedGroups(MaxDepth)))
	if err != nil {
		t.Fatalf("64 levels: %v", err)
	}
	depth := 0
	for nodes := req.Filter; len(nodes) > 0; nodes = nodes[0].Items {
		depth++
	}
	if depth != MaxDepth {
		t.Fatalf("depth = %d; want %d", depth, MaxDepth)
	}
	// The deepest level may still carry an array value.
	deep := strings.Replace(nestedGroups(MaxDepth), `{"op":"exist","field":"id"}`, `{"op":"in","field":"id","value":[1,2]}`, 1)
	if _, err := Parse([]byte(deep)); err != nil {
		t.Fatalf("64 levels with an in-list: %v", err)
	}
}

// TestParseHugeInputIsFast: parsing grows linearly with the input, however it is nested. Time on a
// shared machine is noise, so the test compares the input with one a tenth of its size, parsed
// in the same run: linear work grows 10 to 30 times (caches), quadratic work 100 times.
func TestParseHugeInputIsFast(t *testing.T) {
	t.Parallel()
	sizes := map[string]func(n int) string{
		"filter levels": nestedGroups,
		"conditions":    manyConditions,
	}
	for name, body := range sizes {
		if g := growth(func(n int) { _, _ = Parse([]byte(body(n))) }, 20000); g > 60 {
			t.Errorf("%s: 10 times the input took %.0f times as long", name, g)
		}
	}
}

// growth is how many times longer work(n) takes than work(n/10), each timed at its fastest of
// three runs so that a pause of the machine does not count.
func growth(work func(n int), n int) float64 {
	fastest := func(n int) time.Duration {
		best := time.Duration(math.MaxInt64)
		for range 3 {
			start := time.Now()
			work(n)
			best = min(best, time.Since(start))
		}
		return max(best, time.Microsecond)
	}
	small := fastest(n / 10)
	return float64(fastest(n)) / float64(small)
}

func manyConditions(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `{"op":"eq","field":"id","value":` + strings.Repeat("1", 1+i%5) + `}`
	}
	return `{"filter":[` + strings.Join(items, ",") + `]}`
}

func TestNormalizeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"a":"b"}`, `{"a":"b"}`},
		{`{'a':'b'}`, `{"a":"b"}`},
		{`{'a':'it\'s'}`, `{"a":"it's"}`},
		{`{'a':'say "x"'}`, `{"a":"say \"x\""}`},
		{`{'a':'\\'}`, `{"a":"\\"}`},
		{`{'a':'\"'}`, `{"a":"\""}`},
		{`{"a":"it's"}`, `{"a":"it's"}`},
		{`{"a":"\"'"}`, `{"a":"\"'"}`},
		{`{"a":"'",'b':'"'}`, `{"a":"'","b":"\""}`},
		{`['[{']`, `["[{"]`},
		{`{"a":"it\'s"}`, `{"a":"it's"}`},
		{`{"a":"tab\t\u00e9\/"}`, `{"a":"tab\t\u00e9\/"}`},
	}
	for _, tt := range tests {
		got, err := normalizeJSON([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("normalizeJSON(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("normalizeJSON(%s) = %s: not valid JSON", tt.in, got)
		}
	}
}

func TestPageSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ max, want int }{{0, 500}, {1, 1}, {250, 250}, {500, 500}} {
		got, err := (&Request{MaxRecords: tt.max}).PageSize()
		if err != nil || got != tt.want {
			t.Errorf("PageSize(%d) = %d, %v; want %d", tt.max, got, err, tt.want)
		}
	}
	for _, max := range []int{-1, -500, 501, 100000} {
		_, err := (&Request{MaxRecords: max}).PageSize()
		wantAppErr(t, err, "maxCountOfRecordsToReturn must be between 1 and 500")
	}
}
