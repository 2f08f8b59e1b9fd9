// Command switchboard runs the Switchboard PSA server and its administration commands.
package main

import (
	"os"

	"github.com/switchboard-psa/switchboard/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
