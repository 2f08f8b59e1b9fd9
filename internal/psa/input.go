package psa

import (
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// Input is a decoded write: the fields the caller sent, already converted to their catalog
// types (nil for an explicit null), and the UDF values when userDefinedFields was sent.
type Input struct {
	Set        map[int]any // field index → value
	UDF        map[string]*string
	UDFPresent bool
}

// NewInput returns an empty input.
func NewInput() *Input { return &Input{Set: map[int]any{}} }

// Has reports whether the caller sent the field.
func (in *Input) Has(e *catalog.Entity, name string) bool {
	_, ok := in.Set[e.Index(name)]
	return ok
}

// ID is the id the caller sent (0 when none).
func (in *Input) ID(e *catalog.Entity) int64 {
	v, _ := in.Set[e.IDIndex()].(int64)
	return v
}

func lower(s string) string { return strings.ToLower(s) }
