package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Commit and BuildDate are set at build time with -ldflags "-X .../internal/cli.Commit=...
// -X .../internal/cli.BuildDate=..."; without them the version control information Go records
// in the binary (go build in a git checkout) is used.
var (
	Commit    = ""
	BuildDate = ""
)

// versionText is what `switchboard version` and `switchboard --version` print.
func versionText() string {
	version, commit, built := Version, Commit, BuildDate
	var vcsTime string
	modified := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version // go install module@version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	} else if modified && Commit == "" {
		commit += " (with uncommitted changes)"
	}
	if built == "" {
		built = "unknown"
		if vcsTime != "" {
			built = "unknown (commit made " + vcsTime + ")"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "switchboard %s\n", version)
	fmt.Fprintf(&b, "commit:     %s\n", commit)
	fmt.Fprintf(&b, "built:      %s\n", built)
	fmt.Fprintf(&b, "go:         %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(a.out, versionText())
			return nil
		},
	}
}
