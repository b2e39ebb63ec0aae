package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/observation"
)

func init() {
	register("evidence", "upload evidence files (photos, video, audio, documents) by SHA-256; show and download them", runEvidence, "upload", "show", "get")
}

// uploadEvidenceFile uploads a file under its SHA-256 and returns its
// record.
func uploadEvidenceFile(ctx context.Context, cl *api.Client, path string) (*observation.Evidence, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) > observation.MaxEvidenceBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit for evidence", path, len(data), observation.MaxEvidenceBytes)
	}
	e, err := cl.UploadEvidence(ctx, observation.SHA256Hex(data), data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

func runEvidence(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "upload":
		fs := newFlags("evidence upload", "evidence upload FILE")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		var out []*observation.Evidence
		for _, p := range pos {
			e, err := uploadEvidenceFile(ctx, cl, p)
			if err != nil {
				return err
			}
			out = append(out, e)
			if !cf.json {
				shared := "other parties download it as it is"
				switch {
				case e.Shared == "":
					shared = "its metadata cannot be removed: only your party downloads it"
				case len(e.Removed) > 0:
					shared = "other parties download it without " + strings.Join(e.Removed, ", ")
				}
				fmt.Fprintf(stdout, "%s %s (%s, %d bytes, journal %d): %s.\n", e.SHA256, p, e.MediaType, e.Size, e.JournalIndex, shared)
			}
		}
		if cf.json {
			return printJSON(out[0])
		}
		return nil
	case "show":
		fs := newFlags("evidence show", "evidence show SHA256")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		e, err := cl.FindEvidence(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJSON(e)
	case "get":
		fs := newFlags("evidence get", "evidence get SHA256 --out FILE [--shared]")
		out := fs.String("out", "", "where to write the file")
		shared := fs.Bool("shared", false, "the copy other parties download (without metadata), for your own party's files")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("evidence get: --out FILE is required")
		}
		e, b, err := cl.EvidenceFile(ctx, pos[0], *shared)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d bytes of %s, SHA-256 %s.\n", *out, len(b), e.MediaType, observation.SHA256Hex(b))
		return nil
	}
	return fmt.Errorf("evidence: unknown sub-verb %q (upload, show, get)", sub)
}
