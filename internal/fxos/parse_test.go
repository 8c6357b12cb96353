package fxos

import (
	"encoding/json"
	"testing"
)

func TestCanonicalVersion(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"2.14(1.131)", "2.14(1.131)", false},
		{"2.14.1.131", "2.14(1.131)", false},
		{" 2.16.0.128 ", "2.16(0.128)", false},
		{"2.014(01.0131)", "2.14(1.131)", false},
		{"2.14", "", true},
		{"2.14(1)", "", true},
		{"2.14(1.131", "", true},
		{"2.x.1.131", "", true},
		{"2.14.1.131.7", "", true},
		{"", "", true},
	}
	for _, tc := range tests {
		got, err := CanonicalVersion(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("CanonicalVersion(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CanonicalVersion(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if !SameVersion("2.14.1.131", "2.14(1.131)") || SameVersion("2.14.1.131", "2.14(1.132)") || SameVersion("", "") {
		t.Fatal("SameVersion")
	}
}

func TestClassObjects(t *testing.T) {
	tests := []struct {
		body string
		n    int
		bad  bool
	}{
		{`{"firmwareRunning":[{"packageVersion":"2.14(1.131)"},{"packageVersion":"x"}]}`, 2, false},
		{`{"FIRMWARERUNNING":{"packageVersion":"2.14(1.131)"}}`, 1, false},
		{`{"firmwareRunningSubclass":[{"packageVersion":"2.14(1.131)"}]}`, 1, false},
		{`{"packageVersion":"2.14(1.131)","dn":"sys"}`, 1, false},
		{`[{"packageVersion":"1"}, 3, "x"]`, 1, false},
		{`{"firmwareRunning":null}`, 0, false},
		{`{"a":[{}],"b":[{}]}`, 0, false},
		{`{"firmwareRunning":"x"}`, 0, true},
		{`"text"`, 0, true},
		{``, 0, false},
	}
	for _, tc := range tests {
		got, err := ClassObjects([]byte(tc.body), classRunning)
		if (err != nil) != tc.bad || len(got) != tc.n {
			t.Errorf("ClassObjects(%s) = %d objects, %v", tc.body, len(got), err)
		}
	}
	pkgs, err := decodeClass([]byte(`{"firmwareRunning":[{"PackageVersion":"2.14(1.131)","deployment":"system","type":7}]}`), classRunning, runningFrom)
	if err != nil || pkgs[0].PackageVersion != "2.14(1.131)" || pkgs[0].Type != "7" {
		t.Fatalf("decodeClass = %+v, %v", pkgs, err)
	}
}

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		body string
		want ErrorBody
	}{
		{`{"error-code":"552","error-description":"Authorization required","error-nr":"service-unavailable"}`, ErrorBody{"552", "Authorization required", "service-unavailable"}},
		{`{"error-code":551,"error-description":"Authentication failed"}`, ErrorBody{Code: "551", Description: "Authentication failed"}},
		{`{"error":{"error-code":"101","error-description":"Error communicating with FX-OS API backend"}}`, ErrorBody{Code: "101", Description: "Error communicating with FX-OS API backend"}},
		{`{"errorRsp":[{"errorCode":"103","errorDescr":"x","description":"Invalid object"}]}`, ErrorBody{Code: "103", Description: "Invalid object"}},
		{`<html><body><h1>502 Bad Gateway</h1></body></html>`, ErrorBody{Description: "502 Bad Gateway"}},
		{`{"ok":true}`, ErrorBody{}},
	}
	for _, tc := range tests {
		if got := ParseErrorBody([]byte(tc.body)); got != tc.want {
			t.Errorf("ParseErrorBody(%s) = %+v, want %+v", tc.body, got, tc.want)
		}
	}
}

// Seed inputs live in testdata/fuzz/<target>/ so crashers found later can be
// added there as regression cases.

func FuzzClassObjects(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte, class string) {
		objs, err := ClassObjects(body, class)
		if err != nil {
			return
		}
		for _, o := range objs {
			if !json.Valid(o) || len(o) == 0 || o[0] != '{' {
				t.Fatalf("ClassObjects(%q) returned %q", body, o)
			}
			if _, err := parseAttrs(o); err != nil {
				t.Fatalf("object %q does not parse: %v", o, err)
			}
		}
		_, _ = decodeClass(body, class, installFrom)
		_, _ = decodeClass(body, class, appFrom)
		_, _ = decodeClass(body, class, downloadFrom)
	})
}

func FuzzParseErrorBody(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		eb := ParseErrorBody(body)
		if len(eb.Description) > 200+len("…")+4 && !json.Valid(body) {
			t.Fatalf("excerpt too long: %d bytes", len(eb.Description))
		}
		_ = sessionLost(&response{status: 400, body: body})
	})
}

func FuzzCanonicalVersion(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		c, err := CanonicalVersion(v)
		if err != nil {
			return
		}
		again, err := CanonicalVersion(c)
		if err != nil || again != c {
			t.Fatalf("CanonicalVersion(%q) = %q, which gives %q, %v", v, c, again, err)
		}
		if !SameVersion(v, c) {
			t.Fatalf("SameVersion(%q, %q) is false", v, c)
		}
	})
}
