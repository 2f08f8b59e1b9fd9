package cli

import (
	"os"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) {
	runChildIfAsked()
	os.Exit(testsupport.Main(m))
}
