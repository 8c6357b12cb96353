package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is written by run and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRefusesBadArguments(t *testing.T) {
	cases := [][]string{
		{"--listen", "0.0.0.0:8443"},
		{"--listen", "192.0.2.1:8443"},
		{"--time-scale", "0"},
		{"--http", "--write-ca", "ca.pem"},
		{"--bogus"},
		{"extra"},
	}
	for _, args := range cases {
		var out, errb syncBuffer
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
	var out, errb syncBuffer
	if code := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--scenario", filepath.Join(t.TempDir(), "none.json")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "read scenario") {
		t.Fatalf("missing scenario: exit %d: %s", code, errb.String())
	}
}

// TestServesUntilCancelled starts the command as a user would, writes the
// CA, and stops it the way SIGINT does (by cancelling its context).
func TestServesUntilCancelled(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--scenario", "demo", "--time-scale", "60", "--write-ca", ca}, &out, &errb)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("did not start: %s %s", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !regexp.MustCompile(`management center API  https://127\.0\.0\.1:\d+`).MatchString(out.String()) {
		t.Fatalf("output: %s", out.String())
	}
	pem, err := os.ReadFile(ca)
	if err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("CA file: %v %q", err, pem)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	if !strings.Contains(out.String(), "fmcsim: stopped after") {
		t.Fatalf("no summary: %s", out.String())
	}
}

func TestGeneratedEstate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--http", "--generate", "300", "--seed", "3"}, &out, &errb)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "press Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), `scenario "generated-300-3"`) {
		t.Fatalf("output: %s %s", out.String(), errb.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}
