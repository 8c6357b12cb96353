package version

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		in   string
		want Version
	}{
		{"7.4.2", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{"7.4.0", Version{Major: 7, Minor: 4}},
		{"0.0.0", Version{}},
		{"7.4.2.1", Version{Major: 7, Minor: 4, Maintenance: 2, Patch: 1}},
		{"6.2.3.18", Version{Major: 6, Minor: 2, Maintenance: 3, Patch: 18}},
		{"7.4.2.0", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{"999999.999999.999999.999999-999999", Version{999999, 999999, 999999, 999999, 999999}},
		{"07.04.02", Version{Major: 7, Minor: 4, Maintenance: 2}},

		// surrounding whitespace and prefixes
		{"  7.4.2\t\n", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{"v7.4.2", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{"V7.4.2", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{"Version 7.4.2", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{"version 7.4.2", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{"VERSION   7.4.2.1", Version{Major: 7, Minor: 4, Maintenance: 2, Patch: 1}},
		{"Version v7.4.2", Version{Major: 7, Minor: 4, Maintenance: 2}},
		{" Version 7.2.4 (Build 123) ", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},

		// hyphenated build
		{"7.6.1-291", Version{Major: 7, Minor: 6, Maintenance: 1, Build: 291}},
		{"7.4.2.1-12", Version{Major: 7, Minor: 4, Maintenance: 2, Patch: 1, Build: 12}},
		{"v7.6.1-291", Version{Major: 7, Minor: 6, Maintenance: 1, Build: 291}},

		// "build" clause, as printed by the CLI
		{"7.2.4 (build 123)", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4 (Build 123)", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4 (BUILD 123)", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4(build 123)", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4 ( build  123 )", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4 build 123", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4 build123", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4 Build 123", Version{Major: 7, Minor: 2, Maintenance: 4, Build: 123}},
		{"7.2.4.1 (build 5)", Version{Major: 7, Minor: 2, Maintenance: 4, Patch: 1, Build: 5}},

		// management center REST API serverVersion
		{"6.2.3-84 IMS 84", Version{Major: 6, Minor: 2, Maintenance: 3, Build: 84}},
		{"7.0.1-84 ims 85", Version{Major: 7, Minor: 0, Maintenance: 1, Build: 84}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		in     string
		reason string // substring expected in ParseError.Reason
	}{
		{"", "empty string"},
		{"   ", "empty string"},
		{"v", `"v" is not a number`},
		{"v 7.4.2", `"v" is not a number`},
		{"Version", "missing version number"},
		{"Version ", "missing version number"},
		{"(build 12)", "missing version number"},

		{"7", "need major.minor.maintenance, e.g. 7.4.2"},
		{"7.4", "need major.minor.maintenance, e.g. 7.4.2"},
		{"7.4-12", "need major.minor.maintenance"},
		{"7.4.2.1.5", "too many components"},
		{"2.16.0.128.5", "too many components"},

		{"7.x.1", `"x" is not a number`},
		{"7.4.2a", `"2a" is not a number`},
		{"seven.4.2", `"seven" is not a number`},
		{"7.4.٣", `"٣" is not a number`},
		{"Versions 7.4.2", `"Versions" is not a number`},
		{"Version: 7.4.2", `"Version:" is not a number`},
		{"vv7.4.2", `"vv7" is not a number`},
		{"-7.4.2", `"-7" is negative`},
		{"7.-4.2", `"-4" is negative`},
		{"7.4.-2", `"-2" is negative`},
		{"+7.4.2", `"+7" has a leading '+'`},
		{"7.+4.2", `"+4" has a leading '+'`},
		{"7.4.-", `"-" is not a number`},
		{"1234567.4.2", `"1234567" has more than 6 digits`},
		{"7.4.99999999999999999999", "more than 6 digits"},
		{"0000001.4.2", "more than 6 digits"},

		{"7..2", "empty component"},
		{".7.4.2", "empty component"},
		{"7.4.2.", "empty component"},
		{"7.4..2", "empty component"},

		{"7.6.1-", "missing build number after '-'"},
		{"7.6.1-0", "build number must be positive"},
		{"7.6.1-000", "build number must be positive"},
		{"7.2.4 (build 0)", "build number must be positive"},
		{"7.2.4 build 0", "build number must be positive"},
		{"7.2.4 builder 5", `unexpected text "builder 5" after version`},
		{"7.2.4 (builds 5)", `unexpected text "builds 5" after version`},
		{"7.6.1--5", `build "-5" is negative`},
		{"7.6.1-+5", `build "+5" has a leading '+'`},
		{"7.6.1-abc", `build "abc" is not a number`},
		{"7.6.1-1234567", "more than 6 digits"},
		{"7.2.4 (build)", "missing build number"},
		{"7.2.4 build", "missing build number"},
		{"7.2.4 (build x)", `build "x" is not a number`},

		{"7.6.1-291abc", `build "291abc" is not a number`},
		{"7.6.1-291 foo", `unexpected text "foo" after build number`},
		{"7.6.1-291 IMS", `unexpected text "IMS"`},
		{"7.6.1-291 IMS x", `unexpected text "IMS x"`},
		{"7.6.1-291 IMS 1 2", `unexpected text "IMS 1 2"`},
		{"7.6.1-291 (build 291)", "unexpected text"},
		{"7.2.4 build 12 34", `unexpected text "34" after build number`},
		{"7.2.4 (build 12) extra", `unexpected text "extra" after "(build 12)"`},
		{"7.2.4 (build 12 34)", `unexpected text "34" after build number`},
		{"7.2.4 (123)", `expected "(build <number>)"`},
		{"7.2.4 foo", `unexpected text "foo" after version`},
		{"7.4.2 IMS 84", `unexpected text "IMS 84" after version`},

		{"7.2.4 (build 123", "unbalanced parentheses"},
		{"7.2.4 build 123)", "unbalanced parentheses"},
		{"7.2.4 )build 123(", "unbalanced parentheses"},
		{"7.2.4 ((build 1)", "unbalanced parentheses"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error containing %q", tt.in, got, tt.reason)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, want *ParseError", tt.in, err)
			}
			if pe.Input != tt.in {
				t.Errorf("ParseError.Input = %q, want %q", pe.Input, tt.in)
			}
			if !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("ParseError.Reason = %q, want it to contain %q", pe.Reason, tt.reason)
			}
			if got != (Version{}) {
				t.Errorf("Parse(%q) returned %+v alongside an error, want zero Version", tt.in, got)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"7.4", `invalid version "7.4": need major.minor.maintenance, e.g. 7.4.2`},
		{"7.x.1", `invalid version "7.x.1": "x" is not a number`},
		{"7.2.4 (build 1", `invalid version "7.2.4 (build 1": unbalanced parentheses`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
	if got := (*ParseError)(nil).Error(); got == "" {
		t.Error("nil *ParseError has empty message")
	}
}

func TestMustParse(t *testing.T) {
	if got := MustParse("7.6.1-291"); got != (Version{Major: 7, Minor: 6, Maintenance: 1, Build: 291}) {
		t.Errorf("MustParse = %+v", got)
	}
	defer func() {
		r := recover()
		if _, ok := r.(*ParseError); !ok {
			t.Errorf("MustParse(bad) panicked with %v, want *ParseError", r)
		}
	}()
	MustParse("7.4")
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		in                          string
		str, withBuild, train, kind string
		maintenanceRelease, core    string
		isPatch                     bool
	}{
		{"7.4.0", "7.4.0", "7.4.0", "7.4", "major", "7.4.0", "7.4.0", false},
		{"7.0.0-94", "7.0.0", "7.0.0-94", "7.0", "major", "7.0.0", "7.0.0", false},
		{"7.4.2", "7.4.2", "7.4.2", "7.4", "maintenance", "7.4.2", "7.4.2", false},
		{"7.6.1-291", "7.6.1", "7.6.1-291", "7.6", "maintenance", "7.6.1", "7.6.1", false},
		{"7.4.2.1", "7.4.2.1", "7.4.2.1", "7.4", "patch", "7.4.2", "7.4.2", true},
		{"7.4.2.1-12", "7.4.2.1", "7.4.2.1-12", "7.4", "patch", "7.4.2", "7.4.2", true},
		{"7.4.0.1", "7.4.0.1", "7.4.0.1", "7.4", "patch", "7.4.0", "7.4.0", true},
		{"10.0.0 (build 5)", "10.0.0", "10.0.0-5", "10.0", "major", "10.0.0", "10.0.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v := MustParse(tt.in)
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("String", v.String(), tt.str)
			check("WithBuild", v.WithBuild(), tt.withBuild)
			check("Train", v.Train(), tt.train)
			check("Kind", v.Kind(), tt.kind)
			check("MaintenanceRelease", v.MaintenanceRelease().WithBuild(), tt.maintenanceRelease)
			check("Core", v.Core().String(), tt.core)
			if v.IsPatch() != tt.isPatch {
				t.Errorf("IsPatch = %v, want %v", v.IsPatch(), tt.isPatch)
			}
		})
	}
}

func TestMaintenanceReleaseDropsPatchAndBuild(t *testing.T) {
	got := MustParse("7.4.2.1-12").MaintenanceRelease()
	if want := (Version{Major: 7, Minor: 4, Maintenance: 2}); got != want {
		t.Errorf("MaintenanceRelease = %+v, want %+v", got, want)
	}
}

func TestCoreNeverWrapsNegatives(t *testing.T) {
	if got := (Version{Major: -1, Minor: 2, Maintenance: -3}).Core().String(); got != "0.2.0" {
		t.Errorf("Core of negative fields = %q, want 0.2.0", got)
	}
}

func TestSatisfies(t *testing.T) {
	tests := []struct {
		v, constraint string
		want          bool
	}{
		{"7.4.2", ">= 7.4.0, < 7.5.0", true},
		{"7.4.2.1-12", ">= 7.4.0, < 7.5.0", true},
		{"7.5.0", ">= 7.4.0, < 7.5.0", false},
		{"7.3.1", ">= 7.4.0, < 7.5.0", false},
		{"7.4.2.1", "<= 7.4.2", true},
		{"7.4.2.1", "> 7.4.2", false},
		{"7.4.2", "~7.4", true},
		{"7.6.0", "^7.2", true},
		{"6.7.0", ">= 7.0.0 || 6.7.x", true},
		{"7.2.4", "= 7.2.4", true},
		{"7.2.4-99", "!= 7.2.4", false},
	}
	for _, tt := range tests {
		got, err := MustParse(tt.v).Satisfies(tt.constraint)
		if err != nil {
			t.Errorf("%s.Satisfies(%q) error: %v", tt.v, tt.constraint, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s.Satisfies(%q) = %v, want %v", tt.v, tt.constraint, got, tt.want)
		}
	}

	for _, bad := range []string{"", ">= seven", ">=7.4 <", "~>"} {
		if _, err := MustParse("7.4.2").Satisfies(bad); err == nil {
			t.Errorf("Satisfies(%q) succeeded, want error", bad)
		} else if !strings.Contains(err.Error(), "invalid version constraint") {
			t.Errorf("Satisfies(%q) error = %v, want it to name the constraint", bad, err)
		}
	}
}

func TestCompare(t *testing.T) {
	// Each row is a < b.
	less := []struct{ a, b string }{
		{"6.7.0", "7.0.0"},
		{"7.0.0", "7.0.1"},
		{"7.0.9", "7.1.0"},
		{"7.3.1", "7.4.0"},
		{"7.4.2", "7.4.2.1"},
		{"7.4.2.1", "7.4.2.2"},
		{"7.4.2.9", "7.4.3"},
		{"7.4.2.9-999", "7.4.3-1"},
		{"7.4.10", "7.4.11"},
		{"7.4.9", "7.4.10"}, // numeric, not lexical
		{"7.6.1-291", "7.6.1-300"},
		{"7.6.1.1-1", "7.6.1.1-2"},
	}
	for _, tt := range less {
		a, b := MustParse(tt.a), MustParse(tt.b)
		if got := Compare(a, b); got != -1 {
			t.Errorf("Compare(%s, %s) = %d, want -1", tt.a, tt.b, got)
		}
		if got := Compare(b, a); got != 1 {
			t.Errorf("Compare(%s, %s) = %d, want 1", tt.b, tt.a, got)
		}
		if !a.Less(b) || b.Less(a) {
			t.Errorf("Less disagrees with Compare for %s < %s", tt.a, tt.b)
		}
		if a.Equal(b) {
			t.Errorf("%s.Equal(%s) = true", tt.a, tt.b)
		}
	}

	// Builds count only when both sides know them.
	equal := []struct{ a, b string }{
		{"7.4.2", "7.4.2"},
		{"7.6.1", "7.6.1-291"},
		{"7.6.1 (build 300)", "7.6.1"},
		{"7.6.1-291", "7.6.1 (build 291)"},
		{"7.4.2.1", "7.4.2.1-12"},
		{"7.4.2.0", "7.4.2"},
	}
	for _, tt := range equal {
		a, b := MustParse(tt.a), MustParse(tt.b)
		if Compare(a, b) != 0 || Compare(b, a) != 0 || !a.Equal(b) || a.Less(b) || b.Less(a) {
			t.Errorf("%q and %q should compare equal", tt.a, tt.b)
		}
	}
}

func TestSameMaintenance(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"7.4.2", "7.4.2.1-12", true},
		{"7.4.2-5", "7.4.2-6", true},
		{"7.4.2", "7.4.3", false},
		{"7.4.2", "7.5.2", false},
		{"7.4.2", "8.4.2", false},
	}
	for _, tt := range tests {
		if got := SameMaintenance(MustParse(tt.a), MustParse(tt.b)); got != tt.want {
			t.Errorf("SameMaintenance(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestRoundTrip checks the property that formatting with the build and
// parsing again is lossless for every version Parse can produce.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	num := func() int {
		// Mostly realistic sizes, sometimes the largest accepted number.
		switch r.IntN(10) {
		case 0:
			return 0
		case 1:
			return 999999
		default:
			return r.IntN(1000)
		}
	}
	for range 10000 {
		v := Version{Major: num(), Minor: num(), Maintenance: num(), Patch: num(), Build: num()}
		got, err := Parse(v.WithBuild())
		if err != nil {
			t.Fatalf("Parse(%q) error: %v", v.WithBuild(), err)
		}
		if got != v {
			t.Fatalf("Parse(%q) = %+v, want %+v", v.WithBuild(), got, v)
		}
		if s, err := Parse(v.String()); err != nil || !s.Equal(v) || s.Build != 0 {
			t.Fatalf("Parse(%q) = %+v, %v; want build-less equal of %+v", v.String(), s, err, v)
		}
	}
}

var benchInputs = []string{
	"7.4.2",
	"7.4.2.1-12",
	"7.6.1-291",
	"Version 7.2.4 (Build 123)",
	"6.2.3-84 IMS 84",
}

func BenchmarkParse(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	vs := make([]Version, len(benchInputs))
	for i, in := range benchInputs {
		vs[i] = MustParse(in)
	}
	b.ReportAllocs()
	var sink int
	for b.Loop() {
		for i := range vs {
			sink += Compare(vs[i], vs[(i+1)%len(vs)])
		}
	}
	_ = sink
}
