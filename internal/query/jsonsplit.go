package query

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Parse validates the whole body once and then walks it with these splitters, which assume valid
// JSON. Walking by hand keeps the members of an object in their order, which a map would lose:
// when a body holds "filter" and "Filter" the last one wins, as in Json.NET.

// member is one key of a JSON object, in the order the body gave it.
type member struct {
	key string
	raw []byte
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at i.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endOfString(b, i+1, '"')
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = endOfString(b, i+1, '"') - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ { // a number or a literal
		switch b[i] {
		case ' ', '\t', '\r', '\n', ',', ']', '}':
			return i
		}
	}
	return i
}

// splitObject lists the members of the valid JSON object b.
func splitObject(b []byte) []member {
	var members []member
	i := skipSpace(b, 1)
	for i < len(b) && b[i] != '}' {
		keyEnd := endOfString(b, i+1, '"')
		key := string(b[i+1 : keyEnd-1])
		if bytes.IndexByte(b[i:keyEnd], '\\') >= 0 || !utf8.Valid(b[i:keyEnd]) {
			_ = json.Unmarshal(b[i:keyEnd], &key)
		}
		i = skipSpace(b, keyEnd) + 1 // the colon
		i = skipSpace(b, i)
		end := valueEnd(b, i)
		members = append(members, member{key: key, raw: b[i:end]})
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return members
}

// splitArray lists the items of the valid JSON array b.
func splitArray(b []byte) [][]byte {
	var items [][]byte
	i := skipSpace(b, 1)
	for i < len(b) && b[i] != ']' {
		end := valueEnd(b, i)
		items = append(items, b[i:end])
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return items
}

// endOfString returns the index just past the quote closing the string whose body starts at i,
// or len(b) when the string is not closed.
func endOfString(b []byte, i int, quote byte) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case quote:
			return i + 1
		}
	}
	return len(b)
}
