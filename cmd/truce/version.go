package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() { register("version", "print the version", runVersion) }

func runVersion(ctx context.Context, args []string) error {
	fs := newFlags("version", "version")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = " " + s.Value
			}
		}
	}
	fmt.Fprintf(stdout, "truce %s%s\n", v, rev)
	return nil
}
