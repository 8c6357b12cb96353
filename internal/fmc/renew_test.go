package fmc

import (
	"context"
	"net/http"
	"testing"
)

// A call whose token is revoked, renewed, then revoked again while the
// call waits out a 429 renews it a second time and succeeds: the wait made
// the new token stale, not the credentials. A token refused at its first
// use after a renewal still ends the call (Test401RenewsOnceAndRepeats).
func TestRenewAgainAfterThrottledWait(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.retryAfter = "1"
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
	})
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	if _, err := c.ServerVersion(ctx); err != nil {
		t.Fatal(err)
	}
	f.revokeAll()
	reads := 0
	f.mu.Lock()
	f.fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Path != pathServerVersion {
			return false
		}
		// The first read meets the revoked token; the second, with the
		// renewed one, is throttled, and the tokens are revoked again
		// while the client waits.
		if reads++; reads == 2 {
			f.revokeAll()
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, "Too many requests.")
			return true
		}
		return false
	}
	f.mu.Unlock()
	if _, err := c.ServerVersion(ctx); err != nil {
		t.Fatalf("after a revocation during a throttled wait: %v", err)
	}
	if reads != 4 || f.logins != 3 {
		t.Errorf("%d version reads and %d logins, want 4 (refused, throttled, refused, answered) and 3", reads, f.logins)
	}
}
