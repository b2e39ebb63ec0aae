package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// Client calls a Truce server. It implements the same service interfaces as
// the server's services, and turns problem responses back into *truce.Error
// values, so the CLI and tests use one contract.
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client
}

// NewClient returns a client for the server at baseURL.
func NewClient(baseURL, token string) *Client {
	return &Client{URL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Do sends a request with a JSON body (nil for none) and decodes a JSON
// response into out (nil to discard; a *[]byte receives the body as sent). Every POST carries a fresh
// Idempotency-Key, reused if the request is retried after a network error.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, header http.Header) (*http.Response, error) {
	var buf []byte
	if body != nil {
		var err error
		if buf, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	key := ""
	if method == http.MethodPost {
		b := make([]byte, 16)
		rand.Read(b)
		key = hex.EncodeToString(b)
	}
	var resp *http.Response
	var err error
	var waited time.Duration
	for attempt := 0; attempt < 3; attempt++ {
		req, rerr := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(buf))
		if rerr != nil {
			return nil, rerr
		}
		for k, v := range header {
			req.Header[k] = v
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.Token != "" {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err = c.HTTP.Do(req)
		if err == nil {
			// A server that is busy or holding this token back says when
			// to come again; a request that cannot be recorded twice (a
			// read, or a POST with its Idempotency-Key) waits and retries,
			// within a bound, instead of failing a whole CLI run.
			d, ok := retryAfter(resp)
			if !ok || (key == "" && method != http.MethodGet) || waited+d > maxRetryWait {
				break
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			waited += d
			attempt-- // waiting as told is not a failed attempt
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
			continue
		}
		if ctx.Err() != nil || key == "" && method != http.MethodGet {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	if err != nil {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "Cannot reach %s: %v", c.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "Reading the response from %s: %v", c.URL, err)
	}
	if resp.StatusCode >= 400 {
		return resp, problemError(resp.StatusCode, data)
	}
	if raw, ok := out.(*[]byte); ok {
		// A text answer (a decision statement) is returned as sent.
		*raw = data
		return resp, nil
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("decode response of %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// maxRetryWait bounds how long Do waits in all, as told by Retry-After,
// before it returns the server's refusal.
const maxRetryWait = 60 * time.Second

// retryAfter is how long a 429 or 503 answer asks the client to wait.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 0 || secs > int(maxRetryWait/time.Second) {
		return 0, false
	}
	return max(time.Second, time.Duration(secs)*time.Second), true
}

func problemError(status int, data []byte) error {
	var p Problem
	if json.Unmarshal(data, &p) == nil && p.Code != "" {
		msg := p.Detail
		if p.Code == truce.EINTERNAL && p.RequestID != "" {
			msg = "Internal error (request id " + p.RequestID + ")."
		}
		return &truce.Error{Code: p.Code, Message: msg}
	}
	return &truce.Error{Code: codeOf(status), Message: fmt.Sprintf("The server answered %d %s.", status, http.StatusText(status))}
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
