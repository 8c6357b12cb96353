// Package httpxtest holds the test helpers the fmc and fxos client tests
// share. It imports neither client, so both test suites can use it.
package httpxtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// ResetConn drops the connection with a TCP reset, as a crashed proxy or a
// rebooting server does, so that the client sees a transport error rather
// than an answer.
func ResetConn(t testing.TB, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Fatal("response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Fatalf("hijack: %v", err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// LogSink collects every log line of a client as "msg map[fields]" text.
// Its zero value is ready; it is safe for concurrent use.
type LogSink struct {
	mu    sync.Mutex
	lines []string
}

// Logger is the function to give a client's Config.Logger.
func (l *LogSink) Logger() func(context.Context, string, map[string]any) {
	return func(_ context.Context, msg string, fields map[string]any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, fmt.Sprintf("%s %v", msg, fields))
	}
}

// All is a copy of the lines so far.
func (l *LogSink) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Contains reports whether any line so far contains sub.
func (l *LogSink) Contains(sub string) bool {
	for _, s := range l.All() {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
