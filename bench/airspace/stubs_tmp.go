package main

import "context"

func latency(ctx context.Context, root string, rate, aircraft, crossers, secs, conns int, seed uint64) error {
	return nil
}
func memory(ctx context.Context, root, polygons, mode string, tracks, nz int) error { return nil }
