package httpx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func testCertPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestParseCAPEM(t *testing.T) {
	cert := testCertPEM(t)
	if _, err := ParseCAPEM("x: ca", cert+cert); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"":                "x: ca holds no PEM certificate",
		"hello":           "x: ca holds no PEM certificate",
		cert + "trailing": "unexpected text after PEM block 1",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n": `PEM block 1 is a "PRIVATE KEY"`,
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n": "x: ca: PEM block 1:",
	}
	for in, want := range cases {
		if _, err := ParseCAPEM("x: ca", in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	cfg, err := TLSConfig("x: ca", cert, false)
	if err != nil || cfg.RootCAs == nil || cfg.InsecureSkipVerify {
		t.Fatalf("TLSConfig = %+v, %v", cfg, err)
	}
}

func TestSecrets(t *testing.T) {
	var s Secrets
	s.Add("hunter22")
	s.Add("abc") // too short to scrub safely
	for i := range 100 {
		s.Add(fmt.Sprintf("token-%03d", i))
	}
	got := s.Scrub("password hunter22, token-099, token-000, abc")
	if got != "password ***, ***, token-000, abc" {
		t.Fatalf("Scrub = %q (the password stays, old tokens age out, short strings are kept)", got)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 8 * time.Second}
	for attempt := 1; attempt <= 10; attempt++ {
		want := min(time.Second<<(attempt-1), 8*time.Second)
		if d := b.Delay(attempt); d < want/2 || d > want {
			t.Errorf("attempt %d: %v, want within [%v, %v]", attempt, d, want/2, want)
		}
	}
}

func TestSleepCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := SleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("SleepCtx = %v after %v", err, time.Since(start))
	}
	if err := SleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@fmc.example/x": "https://user:xxxxx@fmc.example/x",
		"https://fmc.example/x":         "https://fmc.example/x",
		"https://u:p w%@host":           "https://xxxxx@host",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryPolicyDefaults(t *testing.T) {
	p := RetryPolicy{}.WithDefaults(2 * time.Second)
	if p.MaxAttempts != 6 || p.BaseDelay != 2*time.Second || p.MaxDelay != 30*time.Second {
		t.Fatalf("defaults = %+v", p)
	}
	p = RetryPolicy{BaseDelay: time.Minute, MaxDelay: time.Second}.WithDefaults(time.Second)
	if p.MaxDelay != time.Minute {
		t.Fatalf("MaxDelay below BaseDelay not raised: %+v", p)
	}
	if d := p.Backoff(3); d < 30*time.Second || d > time.Minute {
		t.Fatalf("Backoff(3) = %v", d)
	}
}

func TestScrubFields(t *testing.T) {
	var s Secrets
	s.Add("hunter22")
	f := map[string]any{"url": "https://u:hunter22@h", "n": 3}
	s.ScrubFields(f)
	if f["url"] != "https://u:***@h" || f["n"] != 3 {
		t.Fatalf("ScrubFields = %v", f)
	}
}

func TestParseServerURL(t *testing.T) {
	base, err := ParseServerURL("x", " https://h:8443/p// ", "u", "p")
	if err != nil || base.String() != "https://h:8443/p" {
		t.Fatalf("got %v, %v", base, err)
	}
	for raw, want := range map[string]string{
		"":               "x: url is required",
		"ftp://h":        "must start with https://",
		"https://":       "has no host",
		"https://a:b@h":  "must not carry credentials",
		"https://h/?q=1": "must not have a query",
	} {
		if _, err := ParseServerURL("x", raw, "u", "p"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", raw, err, want)
		}
	}
	if _, err := ParseServerURL("x", "https://h", "", "p"); err == nil || err.Error() != "x: username is required" {
		t.Errorf("no username: %v", err)
	}
	if _, err := ParseServerURL("x", "https://h", "u", ""); err == nil || err.Error() != "x: password is required" {
		t.Errorf("no password: %v", err)
	}
}

func TestReadBody(t *testing.T) {
	if b, big, err := ReadBody(strings.NewReader("abcd"), 4); string(b) != "abcd" || big || err != nil {
		t.Errorf("at the limit: %q %v %v", b, big, err)
	}
	if b, big, err := ReadBody(strings.NewReader("abcde"), 4); b != nil || !big || err != nil {
		t.Errorf("over the limit: %q %v %v", b, big, err)
	}
}

func TestJSONScalar(t *testing.T) {
	for raw, want := range map[string]string{`"a"`: "a", ` 12 `: "12", `null`: "", `{}`: "", `[1]`: "", `true`: "true", ``: ""} {
		if got := JSONScalar([]byte(raw)); got != want {
			t.Errorf("%q: got %q, want %q", raw, got, want)
		}
	}
}

func TestSecretsLog(t *testing.T) {
	var s Secrets
	s.Add("hunter2")
	s.Log(context.Background(), nil, "no logger", nil)
	var got string
	fields := map[string]any{"detail": "pw hunter2", "n": 1}
	s.Log(context.Background(), func(_ context.Context, msg string, f map[string]any) {
		got = fmt.Sprintf("%s %v", msg, f)
	}, "said hunter2", fields)
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "said ***") {
		t.Errorf("secret not scrubbed: %s", got)
	}
}

func TestSleepWith(t *testing.T) {
	called := false
	sleep := func(context.Context, time.Duration) error { called = true; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	if err := SleepWith(ctx, sleep, 0); err != nil || called {
		t.Errorf("zero wait: %v, called %v", err, called)
	}
	cancel()
	if err := SleepWith(ctx, sleep, time.Second); !errors.Is(err, context.Canceled) || called {
		t.Errorf("ended ctx: %v, called %v", err, called)
	}
	if err := SleepWith(context.Background(), sleep, time.Second); err != nil || !called {
		t.Errorf("wait: %v, called %v", err, called)
	}
}

func TestGate(t *testing.T) {
	g := NewGate(1)
	if err := g.Enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Enter(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("full gate with an ended ctx: %v", err)
	}
	g.Leave()
	if err := g.Enter(context.Background()); err != nil {
		t.Fatalf("after Leave: %v", err)
	}
}

func TestConnectionWarnings(t *testing.T) {
	for _, tc := range []struct {
		url      string
		insecure bool
		want     []string
	}{
		{"https://fmc.example.com", false, nil},
		{"https://fmc.example.com", true, []string{"fmc: TLS certificate verification is disabled (insecure = true); the management center's identity is not checked"}},
		{"http://127.0.0.1:8080", false, []string{"fmc: plain http sends credentials and tokens unencrypted; use it only with a local simulator"}},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := ConnectionWarnings("fmc", "the management center", u, tc.insecure); !slices.Equal(got, tc.want) {
			t.Errorf("%s insecure=%v: %q, want %q", tc.url, tc.insecure, got, tc.want)
		}
	}
}
