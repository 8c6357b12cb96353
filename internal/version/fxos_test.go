package version

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFXOSAccepts(t *testing.T) {
	tests := []struct {
		in                  string
		want                FXOS
		str, display, train string
	}{
		{"2.16.0.128", FXOS{2, 16, 0, 128, true}, "2.16.0.128", "2.16(0.128)", "2.16"},
		{"2.16(0.128)", FXOS{2, 16, 0, 128, true}, "2.16.0.128", "2.16(0.128)", "2.16"},
		{" 2.16(0.128)\n", FXOS{2, 16, 0, 128, true}, "2.16.0.128", "2.16(0.128)", "2.16"},
		{"2.16 ( 0.128 )", FXOS{2, 16, 0, 128, true}, "2.16.0.128", "2.16(0.128)", "2.16"},
		{"2.14(1.167)", FXOS{2, 14, 1, 167, true}, "2.14.1.167", "2.14(1.167)", "2.14"},
		{"2.16.0", FXOS{2, 16, 0, 0, true}, "2.16.0", "2.16.0", "2.16"},
		{"2.16(0)", FXOS{2, 16, 0, 0, true}, "2.16.0", "2.16.0", "2.16"},
		{"2.16", FXOS{2, 16, 0, 0, false}, "2.16", "2.16", "2.16"},
		{"\t2.3 ", FXOS{2, 3, 0, 0, false}, "2.3", "2.3", "2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFXOS(tt.in)
			if err != nil {
				t.Fatalf("ParseFXOS(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseFXOS(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String = %q, want %q", s, tt.str)
			}
			if s := got.Display(); s != tt.display {
				t.Errorf("Display = %q, want %q", s, tt.display)
			}
			if s := got.Train(); s != tt.train {
				t.Errorf("Train = %q, want %q", s, tt.train)
			}
		})
	}
}

func TestParseFXOSRejects(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "empty string"},
		{" \t", "empty string"},
		{"2", "need major.minor[.maintenance[.build]]"},
		{"2.16.0.128.5", "too many components"},
		{"2.16(0.128", "unbalanced parentheses"},
		{"2.16 0.128)", "unbalanced parentheses"},
		{"2.16)0.128(", "unbalanced parentheses"},
		{"2.16(0.128)x", `unexpected text "x" after ')'`},
		{"2.16(0.128)(1)", `unexpected text "(1)" after ')'`},
		{"2.16((0.128))", `unexpected text ")" after ')'`},
		{"(0.128)", "need major.minor before '('"},
		{"2(0.128)", "need major.minor before '('"},
		{"2.16.0(128)", "need major.minor before '('"},
		{"2.x(0.128)", `"x" is not a number`},
		{"2.16(0.128.5)", "need maintenance[.build] inside parentheses"},
		{"2.16()", "empty component"},
		{"2.16(.128)", "empty component"},
		{"2..16", "empty component"},
		{"2.16.", "empty component"},
		{"2.16.x", `"x" is not a number`},
		{"2.16.0.128a", `"128a" is not a number`},
		{"-2.16", `"-2" is negative`},
		{"2.16(-1.5)", `"-1" is negative`},
		{"+2.16", "leading '+'"},
		{"2.16.0.1234567", "more than 6 digits"},
		{"2.16.0.0", "build number must be positive"},
		{"2.16(0.0)", "build number must be positive"},
		{"v2.16.0", `"v2" is not a number`},
		{"2.16.0-128", `"0-128" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFXOS(tt.in)
			if err == nil {
				t.Fatalf("ParseFXOS(%q) = %+v, want error containing %q", tt.in, got, tt.reason)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseFXOS(%q) error %T, want *ParseError", tt.in, err)
			}
			if pe.Input != tt.in {
				t.Errorf("ParseError.Input = %q, want %q", pe.Input, tt.in)
			}
			if !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("ParseError.Reason = %q, want it to contain %q", pe.Reason, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "invalid FXOS version ") {
				t.Errorf("error %q does not name FXOS", err)
			}
		})
	}
}

func TestFXOSErrorMessage(t *testing.T) {
	_, err := ParseFXOS("2.16(0.128")
	if want := `invalid FXOS version "2.16(0.128": unbalanced parentheses`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestFXOSPackageFilename(t *testing.T) {
	tests := []struct {
		f       FXOS
		want    string
		wantErr string
	}{
		{f: FXOS{2, 16, 0, 128, true}, want: "fxos-k9.2.16.0.128.SPA"},
		{f: FXOS{2, 14, 1, 167, true}, want: "fxos-k9.2.14.1.167.SPA"},
		{f: FXOS{2, 16, 0, 0, true}, wantErr: "build number is needed"},
		{f: FXOS{2, 16, 0, 0, false}, wantErr: "maintenance release and build are needed"},
		{f: FXOS{2, 16, 0, 128, false}, wantErr: "maintenance release and build are needed"},
		{f: FXOS{-2, 16, 0, 128, true}, wantErr: "cannot be negative"},
	}
	for _, tt := range tests {
		got, err := tt.f.PackageFilename()
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v.PackageFilename() = %q, %v; want error containing %q", tt.f, got, err, tt.wantErr)
			}
		case err != nil || got != tt.want:
			t.Errorf("%+v.PackageFilename() = %q, %v; want %q", tt.f, got, err, tt.want)
		}
	}
}

func TestCompareFXOS(t *testing.T) {
	// Ascending order; unknown parts sort lowest.
	ordered := []string{
		"1.1.4.95",
		"2.3",
		"2.3.1",
		"2.3(1.58)",
		"2.3(1.73)",
		"2.3.2",
		"2.10",
		"2.10(1.159)",
		"2.16",
		"2.16.0",
		"2.16(0.128)",
		"2.16.1",
		"3.0",
	}
	for i, as := range ordered {
		for j, bs := range ordered {
			a, b := mustParseFXOS(t, as), mustParseFXOS(t, bs)
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := CompareFXOS(a, b); got != want {
				t.Errorf("CompareFXOS(%s, %s) = %d, want %d", as, bs, got, want)
			}
		}
	}

	if CompareFXOS(mustParseFXOS(t, "2.16(0.128)"), mustParseFXOS(t, "2.16.0.128")) != 0 {
		t.Error("dotted and parenthesised forms of the same version differ")
	}
	// Fields that the train-only form leaves unset must not affect ordering.
	if CompareFXOS(FXOS{2, 16, 5, 9, false}, FXOS{Major: 2, Minor: 16}) != 0 {
		t.Error("maintenance and build compared for train-only versions")
	}
}

func mustParseFXOS(t *testing.T, s string) FXOS {
	t.Helper()
	f, err := ParseFXOS(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
