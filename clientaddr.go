package truce

import (
	"context"
	"net/netip"
)

type clientAddrKey struct{}

// WithClientAddr returns a context carrying the network address a request
// came from (an IP address, with or without a port), for the limits that
// are kept per source, such as sign-in attempts.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientSource returns the source the context's client address counts as:
// the IPv4 address, or the /64 network of an IPv6 address (one host
// commonly holds a whole /64, so counting its addresses apart would let it
// multiply its allowance); "" when the context carries none.
func ClientSource(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	if s == "" {
		return ""
	}
	ap, err := netip.ParseAddrPort(s)
	a := ap.Addr()
	if err != nil {
		if a, err = netip.ParseAddr(s); err != nil {
			return s
		}
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
