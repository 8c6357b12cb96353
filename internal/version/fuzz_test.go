package version

import (
	"errors"
	"testing"
)

// Seed inputs live in testdata/fuzz/<target>/ so crashers found later can be
// added there as regression cases.

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason == "" || err.Error() == "" {
				t.Fatalf("Parse(%q) error %#v, want *ParseError with a reason", s, err)
			}
			if v != (Version{}) {
				t.Fatalf("Parse(%q) returned %+v alongside an error", s, v)
			}
			return
		}

		if Compare(v, v) != 0 || !v.Equal(v) || v.Less(v) {
			t.Fatalf("Parse(%q) = %+v does not compare equal to itself", s, v)
		}
		again, err := Parse(v.WithBuild())
		if err != nil || again != v {
			t.Fatalf("Parse(%q) = %+v; re-parsing %q gave %+v, %v", s, v, v.WithBuild(), again, err)
		}
		plain, err := Parse(v.String())
		if err != nil || !plain.Equal(v) || plain.Build != 0 {
			t.Fatalf("Parse(%q) = %+v; re-parsing %q gave %+v, %v", s, v, v.String(), plain, err)
		}
		if mr := v.MaintenanceRelease(); !SameMaintenance(v, mr) || mr.Less(v) != v.IsPatch() {
			t.Fatalf("MaintenanceRelease(%+v) = %+v is inconsistent", v, mr)
		}
		if c := v.Core(); c == nil || c.String() != v.MaintenanceRelease().String() {
			t.Fatalf("Core(%+v) = %v, want %s", v, c, v.MaintenanceRelease())
		}
	})
}

func FuzzParseFXOS(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFXOS(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason == "" || err.Error() == "" {
				t.Fatalf("ParseFXOS(%q) error %#v, want *ParseError with a reason", s, err)
			}
			if v != (FXOS{}) {
				t.Fatalf("ParseFXOS(%q) returned %+v alongside an error", s, v)
			}
			return
		}

		if CompareFXOS(v, v) != 0 {
			t.Fatalf("ParseFXOS(%q) = %+v does not compare equal to itself", s, v)
		}
		for _, form := range []string{v.String(), v.Display()} {
			again, err := ParseFXOS(form)
			if err != nil || again != v {
				t.Fatalf("ParseFXOS(%q) = %+v; re-parsing %q gave %+v, %v", s, v, form, again, err)
			}
		}
		name, err := v.PackageFilename()
		if (err == nil) != (v.HasMaintenance && v.Build > 0) {
			t.Fatalf("PackageFilename(%+v) = %q, %v", v, name, err)
		}
	})
}
