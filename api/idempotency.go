package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/truce-project/truce"
)

// withIdempotency implements the Idempotency-Key header on writes: the first
// response to a key is saved for the TTL and replayed for a retry with the
// same body, which records nothing new; the same key with another body is
// refused with 422. The request's write claims the key in its own
// transaction (truce.IdempotencyClaim), so a key whose write committed is
// never written again: not by a retry after the server died before saving
// the response (answered 409 with the write's journal index), nor by a
// retry racing the original on another server. Retries of one key are
// serialised in this process so a retry racing the original here waits for
// its outcome.
func (s *Server) withIdempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			s.writeError(w, r, truce.Errorf(truce.EINVALID, "Idempotency-Key is at most 255 characters."))
			return
		}
		a := truce.CallerFrom(r.Context())
		scope := "anonymous"
		if a != nil {
			scope = a.User.ID
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.writeError(w, r, decodeError(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n")
		h.Write(body)
		hash := hex.EncodeToString(h.Sum(nil))

		unlock := s.idem.lock(scope + "\x00" + key)
		defer unlock()
		ctx := r.Context()
		saved, err := s.svc.Store.Idempotency(ctx, scope, key)
		switch {
		case err == nil && time.Since(saved.CreatedAt) < s.cfg.IdempotencyTTL:
			if saved.RequestHash != hash {
				s.writeError(w, r, truce.Errorf(truce.EUNPROCESSABLE, "This Idempotency-Key was used with a different request."))
				return
			}
			if saved.Status == 0 {
				idx := int64(-1)
				if saved.JournalIndex != nil {
					idx = *saved.JournalIndex
				}
				s.writeError(w, r, truce.Errorf(truce.ECONFLICT, "This request was already recorded (journal entry %d) but its response was not saved; read the record instead of retrying.", idx))
				return
			}
			w.Header().Set("Content-Type", saved.Header)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(saved.Status)
			w.Write(saved.Body)
			return
		case err == nil:
			// Expired: forget it and treat the request as new.
			s.svc.Store.PurgeIdempotency(ctx, time.Now().Add(-s.cfg.IdempotencyTTL))
		case truce.ErrorCode(err) != truce.ENOTFOUND:
			s.writeError(w, r, err)
			return
		}
		rec := &recorder{header: http.Header{}}
		r = r.WithContext(truce.WithIdempotency(ctx, &truce.IdempotencyClaim{Scope: scope, Key: key, RequestHash: hash}))
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.status < 500 {
			err := s.svc.Store.PutIdempotency(ctx, &truce.IdempotentResponse{Scope: scope, Key: key, RequestHash: hash,
				Status: rec.status, Header: rec.header.Get("Content-Type"), Body: rec.body.Bytes(), CreatedAt: time.Now().UTC()})
			if err != nil {
				s.log.Warn("idempotency: cannot save response", "request_id", requestID(ctx), "err", err)
			}
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
	})
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// keyLocks is a set of per-key mutexes that are dropped when unused.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func newKeyLocks() *keyLocks { return &keyLocks{locks: map[string]*keyLock{}} }

func (k *keyLocks) lock(key string) func() {
	k.mu.Lock()
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
