package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce/node"
)

// witnessFlags adds serve's log flags: --witness URL=VKEY (repeatable, or
// TRUCE_WITNESSES separated by spaces or commas), --witness-quorum,
// --witness-max-age and --self-check; the returned function fills c after
// parsing.
func witnessFlags(fs *flag.FlagSet, c *node.Config) func() error {
	var ws listFlag
	fs.Var(&ws, "witness", "a witness to ask for cosignatures, as URL=VKEY (repeatable; TRUCE_WITNESSES)")
	quorum := fs.String("witness-quorum", env("TRUCE_WITNESS_QUORUM", "all"), "how many witnesses must cosign for the server to be ready: a number, or all (TRUCE_WITNESS_QUORUM)")
	maxAge := fs.Duration("witness-max-age", node.DefaultWitnessMaxAge, "how long a witness may fail before /readyz reports it")
	selfCheck := fs.String("self-check", env("TRUCE_SELF_CHECK", node.SelfCheckFull), "at start-up, recompute the log from the stored entries and check every hash, body and the latest checkpoint in the background (/readyz reports it): full or off (TRUCE_SELF_CHECK)")
	return func() error {
		var err error
		if c.SelfCheck, err = node.ParseSelfCheck(*selfCheck); err != nil {
			return err
		}
		if len(ws) == 0 {
			ws = strings.FieldsFunc(env("TRUCE_WITNESSES", ""), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
		}
		for _, s := range ws {
			w, err := node.ParseWitness(s)
			if err != nil {
				return err
			}
			c.Witnesses = append(c.Witnesses, w)
		}
		c.WitnessQuorum = len(c.Witnesses)
		if *quorum != "all" {
			if c.WitnessQuorum, err = strconv.Atoi(*quorum); err != nil || c.WitnessQuorum < 0 {
				return fmt.Errorf("--witness-quorum %q: want a number of witnesses, or all", *quorum)
			}
		}
		c.WitnessMaxAge = time.Duration(*maxAge)
		return nil
	}
}
