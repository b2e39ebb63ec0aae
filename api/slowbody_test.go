package api_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/node"
)

// trickle opens a raw connection to addr, sends head, then one byte of
// body every 50 ms until the server stops it, and returns the first line
// the server answered ("" when it closed without one) and how long that
// took.
func trickle(t *testing.T, addr, head string) (string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && !isEOF(err) {
		t.Fatalf("no answer and no close after %s: %v", time.Since(start), err)
	}
	return strings.TrimSpace(line), time.Since(start)
}

func isEOF(err error) bool {
	return err == io.EOF || strings.Contains(err.Error(), "connection reset")
}

// TestSlowBody_Cut: a client trickling its body is cut off once the body
// timeout has passed, with a 408 problem or a closed connection, while
// a long-lived event stream (a response, not a body) is not cut by it.
func TestSlowBody_Cut(t *testing.T) {
	const bound = 400 * time.Millisecond
	e := newEnvWith(t, node.Config{BodyTimeout: bound})
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	for _, path := range []string{"/api/v1/parties", "/api/v1/positions", "/login"} {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			head := "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.admin +
				"\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"
			line, took := trickle(t, addr, head)
			if took > bound+2*time.Second {
				t.Fatalf("cut after %s, bound %s", took, bound)
			}
			if line != "" && !strings.HasPrefix(line, "HTTP/1.1 4") {
				t.Fatalf("answered %q", line)
			}
		})
	}
	t.Run("ProblemCode", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /api/v1/parties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+e.admin+
			"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || problemCode(t, resp.Header, b) != truce.ETIMEOUT {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		if !resp.Close {
			t.Errorf("connection kept open after a body timeout")
		}
	})
	t.Run("StreamOutlivesTheBound", func(t *testing.T) {
		s := e.stream(e.admin, "?kind=late")
		time.Sleep(3 * bound) // the stream must outlive the body timeout
		id := e.publish(truce.Event{Kind: "late", Subject: "after", Visibility: visAll})
		if got := s.records(t, 1); len(got) != 1 || got[0].ID != id {
			t.Fatalf("stream after the body timeout: %v", subjects(got))
		}
	})
}

// TestSlowHeaders_Cut: the server's header timeout is configured and cuts a
// client trickling its request line and headers.
func TestSlowHeaders_Cut(t *testing.T) {
	const bound = 300 * time.Millisecond
	e := newEnvWith(t, node.Config{HeaderTimeout: bound})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.node.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()
	line, took := trickle(t, ln.Addr().String(), "GET /healthz HTTP/1.1\r\nX-Slow: ")
	if took > bound+2*time.Second {
		t.Fatalf("header trickle cut after %s, bound %s", took, bound)
	}
	if line != "" && !strings.HasPrefix(line, "HTTP/1.1 4") {
		t.Fatalf("answered %q", line)
	}
}

// TestSlowBody_LongHandlerNotCut: the body deadline ends with the body; a
// handler that works past it after reading its body is not cancelled.
func TestSlowBody_LongHandlerNotCut(t *testing.T) {
	const bound = 200 * time.Millisecond
	e := newEnvWith(t, node.Config{BodyTimeout: bound})
	e.node.API.Handle(api.Route{Method: "POST", Pattern: "/test/slow", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusInternalServerError)
		case <-time.After(4 * bound):
			w.WriteHeader(http.StatusNoContent)
		}
	}})
	resp, err := http.Post(e.srv.URL+"/test/slow", "text/plain", strings.NewReader("a body"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("a handler working past the body deadline: %d", resp.StatusCode)
	}
}
