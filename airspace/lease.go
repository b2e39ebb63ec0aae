package airspace

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
)

// The outbound feeds (SBS sources the server connects to) are run by one
// of the servers sharing a database: the holder of the feeds lease, taken
// for leaseTTL and renewed every leaseRenew. Without it every server would
// connect to every source and journal each alert once per server.
const feedsLease = "airspace-feeds"

var (
	leaseTTL   = 15 * time.Second
	leaseRenew = 5 * time.Second
)

// LeaseHolder names a server for leases: its host and data directory,
// so a server restarted on the same host and directory takes its lease
// back at once rather than waiting for it to expire.
func LeaseHolder(dataDir string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	return host + ":" + dataDir
}

// lead takes or renews the feeds lease and starts or stops the feeds to
// match. A server that cannot reach the database to renew stops its
// feeds: another may hold the lease by then.
func (a *Host) lead(ctx context.Context) error {
	now := time.Now()
	ok, err := a.store.AcquireLease(ctx, feedsLease, a.holder, now, now.Add(leaseTTL))
	a.mu.Lock()
	was := a.leading
	a.leading = ok && err == nil
	if was && !a.leading {
		for id, stop := range a.feeds {
			stop()
			delete(a.feeds, id)
		}
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	if a.leading && !was {
		a.log.Info("monitor: this server runs the outbound feeds", "holder", a.holder)
		fs, err := a.svc.JournalledFeeds(ctx)
		if err != nil {
			return err
		}
		for _, f := range fs {
			a.startFeed(f)
		}
	} else if was && !a.leading {
		a.log.Warn("monitor: the feeds lease is held by another server; feeds stopped here")
	}
	return nil
}

// keepLease renews the feeds lease until the server stops, then gives it up.
func (a *Host) keepLease() {
	t := time.NewTicker(leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := a.lead(a.ctx); err != nil && a.ctx.Err() == nil {
				a.log.Error("monitor: feeds lease", "err", err)
			}
		case <-a.ctx.Done():
			a.mu.Lock()
			leading := a.leading
			a.mu.Unlock()
			if leading {
				if err := a.store.ReleaseLease(context.Background(), feedsLease, a.holder); err != nil {
					a.log.Error("monitor: releasing the feeds lease", "err", err)
				}
			}
			return
		}
	}
}

func (a *Host) startFeed(f *truce.FeedSource) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.leading {
		return
	}
	if _, ok := a.feeds[f.ID]; ok || f.Removed {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.feeds[f.ID] = cancel
	c := &feed.SBSClient{Addr: f.Addr, Source: "feed:" + f.Name, Handle: func(p feed.Position) { a.engine.Ingest(p) }, OnBad: a.badSBS("feed:" + f.Name)}
	a.wg.Add(1)
	go func() { defer a.wg.Done(); c.Run(ctx) }()
}

func (a *Host) stopFeed(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if stop, ok := a.feeds[id]; ok {
		stop()
		delete(a.feeds, id)
	}
}
