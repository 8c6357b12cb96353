package fmc

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

func devicePageJSON(b *testing.B, n int) []byte {
	b.Helper()
	items := make([]any, n)
	for i := range items {
		items[i] = deviceItem(i)
	}
	body, err := json.Marshal(map[string]any{
		"items":  items,
		"paging": map[string]any{"offset": 0, "limit": 1000, "count": n, "pages": 1},
	})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkDecodeDevicePage decodes one full page of 1,000 expanded device
// records, the hot path of every inventory read.
func BenchmarkDecodeDevicePage(b *testing.B) {
	body := devicePageJSON(b, PageLimit)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var p page[Device]
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
		if len(p.Items) != PageLimit {
			b.Fatal("short page")
		}
	}
}

// BenchmarkListDevices reads a 10,000-device estate through the client and
// a loopback server, and reports the HTTP requests per read: ⌈N/1000⌉ pages
// plus the login.
func BenchmarkListDevices(b *testing.B) {
	const n = 10000
	items := make([]any, n)
	for i := range items {
		items[i] = deviceItem(i)
	}
	f := newFakeFMC(b, nil)
	f.handle("GET {domain}/devices/devicerecords", func(w http.ResponseWriter, r *http.Request) { servePaged(w, r, items) })
	c, err := New(Config{URL: f.srv.URL, Username: testUser, Password: testPassword, RequestsPerMinute: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Login(ctx); err != nil {
		b.Fatal(err)
	}
	before := len(f.seen())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		devs, err := c.ListDevices(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(devs) != n {
			b.Fatalf("%d devices", len(devs))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(f.seen())-before)/float64(b.N), "requests/op")
}
