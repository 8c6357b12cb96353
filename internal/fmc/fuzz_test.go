package fmc

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"unicode/utf8"
)

// Seed inputs live in testdata/fuzz/<target>/ so crashers found later can be
// added there as regression cases.

func FuzzParseErrorBody(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		eb, ok := ParseErrorBody(body)
		if !ok {
			if len(eb.Messages) != 0 || eb.Category != "" {
				t.Fatalf("ParseErrorBody(%q) = %+v with ok false", body, eb)
			}
			return
		}
		if len(eb.Messages) == 0 && eb.Category == "" {
			t.Fatalf("ParseErrorBody(%q) ok with nothing in it", body)
		}
		if !json.Valid(body) {
			if len(eb.Messages) != 1 || len(eb.Messages[0]) > 200+utf8.UTFMax+len("…") || !utf8.ValidString(eb.Messages[0]) {
				t.Fatalf("excerpt of %q = %q", body, eb.Messages)
			}
		}
		for _, m := range eb.Messages {
			if m == "" {
				t.Fatalf("ParseErrorBody(%q) kept an empty message", body)
			}
		}
		_ = pleaseTryAgain(eb.Messages)
	})
}

func FuzzParseDomains(f *testing.F) {
	f.Fuzz(func(t *testing.T, header, want string) {
		domains, err := ParseDomains(header)
		if err != nil {
			if domains != nil {
				t.Fatalf("ParseDomains(%q) returned domains with an error", header)
			}
			return
		}
		for _, d := range domains {
			if d.UUID == "" {
				t.Fatalf("ParseDomains(%q) kept a domain without uuid", header)
			}
			got, err := SelectDomain(d.UUID, domains, "")
			if err != nil || got.UUID == "" {
				t.Fatalf("SelectDomain(%q) among %v: %+v, %v", d.UUID, domains, got, err)
			}
		}
		got, err := SelectDomain(want, domains, GlobalDomainUUID)
		if err == nil && got.UUID == "" {
			t.Fatalf("SelectDomain(%q) chose a domain without uuid", want)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error text")
		}
	})
}

// FuzzDecodeModels feeds arbitrary JSON to every model with its own
// decoding rules; nothing may panic, and a value that decodes must survive
// a second round.
func FuzzDecodeModels(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var p page[Device]
		_ = json.Unmarshal(data, &p)
		var h page[HAPair]
		_ = json.Unmarshal(data, &h)
		var ts TaskStatus
		if json.Unmarshal(data, &ts) == nil {
			_ = ts.State()
			_ = ts.FailedTargets()
		}
		var env taskEnvelope
		if json.Unmarshal(data, &env) == nil {
			_ = env.started()
		}
		var txt Text
		if json.Unmarshal(data, &txt) == nil {
			again, err := json.Marshal(string(txt))
			if err != nil {
				t.Fatal(err)
			}
			var back Text
			if err := json.Unmarshal(again, &back); err != nil || back != txt {
				t.Fatalf("Text %q did not survive a round trip: %q, %v", txt, back, err)
			}
		}
		var b Bool
		_ = json.Unmarshal(data, &b)
		var n Int
		_ = json.Unmarshal(data, &n)
	})
}

func FuzzNextQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, link string, fallback int) {
		if fallback < 0 {
			fallback = -fallback
		}
		cur := url.Values{"limit": {"1000"}, "expanded": {"true"}, "offset": {"0"}}
		q, off, err := nextQuery(link, cur, fallback)
		if err != nil {
			return
		}
		if off < 0 || q.Get("expanded") != "true" || q.Get("limit") == "" || q.Get("offset") != strconv.Itoa(off) {
			t.Fatalf("nextQuery(%q) = %v, %d", link, q, off)
		}
	})
}
