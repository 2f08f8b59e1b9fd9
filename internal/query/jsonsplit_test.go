package query

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSplitJSON holds the hand-written splitters to encoding/json: on any valid object or array
// they must find the same keys and values, in the same order.
func FuzzSplitJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":"x\"}","c":[1,{"d":"]"}],"e":null , "f" : true}`,
		`[1, "a\\", {"b":[]}, [[]], -2.5e3, false]`,
		`{"k\u0065y":{}, "":""}`,
		` { } `, `[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		b = bytes.TrimSpace(b)
		dec := json.NewDecoder(bytes.NewReader(b))
		tok, _ := dec.Token()
		switch tok {
		case json.Delim('{'):
			got := splitObject(b)
			for i := 0; dec.More(); i++ {
				key, _ := dec.Token()
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					t.Fatal(err)
				}
				if i >= len(got) || got[i].key != key || !bytes.Equal(got[i].raw, bytes.TrimSpace(v)) {
					t.Fatalf("member %d: got %+v; want %q %s", i, got, key, v)
				}
				if i == len(got)-1 && dec.More() {
					t.Fatalf("splitObject found %d members, there are more", len(got))
				}
			}
		case json.Delim('['):
			got := splitArray(b)
			n := 0
			for ; dec.More(); n++ {
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					t.Fatal(err)
				}
				if n >= len(got) || !bytes.Equal(got[n], bytes.TrimSpace(v)) {
					t.Fatalf("item %d: got %q; want %s", n, got, v)
				}
			}
			if n != len(got) {
				t.Fatalf("splitArray found %d items; want %d", len(got), n)
			}
		}
	})
}
