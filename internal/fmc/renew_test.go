package fmc

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// A call whose token is revoked, renewed, then revoked again while the
// call waits out a 429 renews it a second time and succeeds: the wait made
// the new token stale, not the credentials. A token refused at its first
// use after a renewal still ends the call (Test401RenewsOnceAndRepeats),
// unless the refusal is about the token
// (TestRenewAgainWhenTheRenewedTokenIsRefused).
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

// A token renewed after a 401 and refused at its first use is renewed once
// more when the refusal is about the token (it was revoked again, or the
// clock moved past its life while the call was in flight), not when the
// server refuses the user (Test401RenewsOnceAndRepeats).
func TestRenewAgainWhenTheRenewedTokenIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		message string
		advance time.Duration
	}{
		{"the server says the token is invalid", "Access token invalid.", 0},
		{"the token aged past renewal by the client's clock", "Unauthorized.", tokenLifetime + time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeFMC(t, clock)
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
				// The first read meets the revoked token; the second, with
				// the renewed one, is refused too.
				if reads++; reads == 2 {
					clock.Advance(tc.advance)
					writeError(w, http.StatusUnauthorized, tc.message)
					return true
				}
				return false
			}
			f.mu.Unlock()
			if _, err := c.ServerVersion(ctx); err != nil {
				t.Fatalf("after the renewed token was refused: %v", err)
			}
			if reads != 3 {
				t.Errorf("%d version reads, want 3 (refused, refused again, answered)", reads)
			}
		})
	}
}
