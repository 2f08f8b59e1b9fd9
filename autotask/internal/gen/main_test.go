package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedIsCurrent fails when entities_gen.go differs from what the generator makes of
// the catalog data: run `go generate ./autotask`.
func TestGeneratedIsCurrent(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../../../shared/autotask/entities.json")
	if os.IsNotExist(err) {
		t.Skip("catalog data not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../entities_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("entities_gen.go is stale: run go generate ./autotask")
	}
}

func TestGoName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"id", "ID"},
		{"apiVendorID", "APIVendorID"},
		{"problemTicketId", "ProblemTicketID"},
		{"facebookUrl", "FacebookURL"},
		{"dattoInternalIP", "DattoInternalIP"},
		{"dattoOSVersionID", "DattoOSVersionID"},
		{"rmmDeviceAuditSNMPContact", "RmmDeviceAuditSNMPContact"},
		{"rmmDeviceUID", "RmmDeviceUID"},
		{"emailTypeCode2", "EmailTypeCode2"},
		{"changeInfoField5", "ChangeInfoField5"},
		{"address1", "Address1"},
		{"userDefinedFields", "UserDefinedFields"},
		{"identifier", "Identifier"},
	}
	for _, tt := range tests {
		if got := goName(tt.in); got != tt.want {
			t.Errorf("goName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGenerateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src string }{
		{"missing collection", `{}`},
		{"unknown type", `{"Companies":{"fields":[{"name":"id","type":"quaternion"}]}}`},
		{"not JSON", `{`},
	}
	for _, tt := range tests {
		if _, err := generate([]byte(tt.src)); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
