package events_test

import (
	"context"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// BenchmarkPublish measures a durable publish on SQLite (synchronous=FULL)
// with one webhook matching every event, from many goroutines so that
// batching shows.
func BenchmarkPublish(b *testing.B) {
	bus, s := newBus(b, events.Options{})
	if err := s.InsertWebhook(context.Background(), &events.Webhook{ID: "w", Party: "p1", URL: "http://127.0.0.1:1/", Secret: "s"}); err != nil {
		b.Fatal(err)
	}
	e := truce.Event{Kind: "alert", Subject: "a", Point: &[2]float64{36, 33}, Data: map[string]any{"track": "4ca123", "alt": 1200}, Visibility: all}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bus.Publish(context.Background(), e); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
