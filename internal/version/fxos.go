package version

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// FXOS is a Firepower 4100/9300 chassis (FXOS) version, written 2.16.0.128
// or, as the chassis prints it, 2.16(0.128). Compatibility tables often name
// only the train ("2.16") or the maintenance release ("2.16.0"), so the
// trailing parts may be unknown.
type FXOS struct {
	Major, Minor int
	// Maintenance and Build are meaningful only when HasMaintenance is set;
	// Build is 0 when unknown.
	Maintenance, Build int
	HasMaintenance     bool
}

// ParseFXOS reads "2.16.0.128", "2.16(0.128)", "2.16.0", "2.16(0)" or the
// bare train "2.16".
func ParseFXOS(s string) (FXOS, error) {
	fail := func(reason string) (FXOS, error) {
		return FXOS{}, &ParseError{Input: s, Reason: reason, fxos: true}
	}
	const shape = "need major.minor[.maintenance[.build]], e.g. 2.16.0.128 or 2.16(0.128)"

	t := strings.TrimSpace(s)
	if t == "" {
		return fail("empty string")
	}
	if !balanced(t) {
		return fail("unbalanced parentheses")
	}

	var nums [4]int
	n := 0
	if open := strings.IndexByte(t, '('); open >= 0 {
		// balanced() guarantees a ')' after open.
		end := open + strings.IndexByte(t[open:], ')')
		if end != len(t)-1 {
			return fail(fmt.Sprintf("unexpected text %q after ')'", t[end+1:]))
		}
		headText := strings.TrimSpace(t[:open])
		head, hn, reason := parseDotted(headText, 2)
		switch {
		case reason != "" && headText != "":
			return fail(reason)
		case hn != 2:
			return fail("need major.minor before '(', e.g. 2.16(0.128)")
		}
		inner, in, reason := parseDotted(strings.TrimSpace(t[open+1:end]), 2)
		switch {
		case reason != "":
			return fail(reason)
		case in > 2:
			return fail("need maintenance[.build] inside parentheses, e.g. 2.16(0.128)")
		}
		nums = [4]int{head[0], head[1], inner[0], inner[1]}
		n = 2 + in
	} else {
		var reason string
		nums, n, reason = parseDotted(t, 4)
		switch {
		case reason != "":
			return fail(reason)
		case n > 4:
			return fail("too many components: " + shape)
		case n < 2:
			return fail(shape)
		}
	}

	if n == 4 && nums[3] == 0 {
		return fail("build number must be positive")
	}
	return FXOS{
		Major:          nums[0],
		Minor:          nums[1],
		Maintenance:    nums[2],
		Build:          nums[3],
		HasMaintenance: n >= 3,
	}, nil
}

// String formats the dotted form used in package names and release notes.
func (f FXOS) String() string {
	s := f.Train()
	if !f.HasMaintenance {
		return s
	}
	s += "." + strconv.Itoa(f.Maintenance)
	if f.Build > 0 {
		s += "." + strconv.Itoa(f.Build)
	}
	return s
}

// Display formats the version the way the chassis CLI and Cisco
// documentation show it, e.g. "2.16(0.128)", falling back to String when the
// build is unknown because "2.16(0)" is not a form Cisco uses.
func (f FXOS) Display() string {
	if !f.HasMaintenance || f.Build <= 0 {
		return f.String()
	}
	return f.Train() + "(" + strconv.Itoa(f.Maintenance) + "." + strconv.Itoa(f.Build) + ")"
}

// Train is the major.minor release train, e.g. "2.16".
func (f FXOS) Train() string {
	return strconv.Itoa(f.Major) + "." + strconv.Itoa(f.Minor)
}

// PackageFilename is the name of the chassis platform bundle Cisco publishes
// for this version, e.g. "fxos-k9.2.16.0.128.SPA". The name embeds the full
// version, so it cannot be derived without maintenance and build.
func (f FXOS) PackageFilename() (string, error) {
	switch {
	case !f.HasMaintenance:
		return "", fmt.Errorf("FXOS version %s: maintenance release and build are needed for the package filename, e.g. 2.16.0.128", f)
	case f.Build <= 0:
		return "", fmt.Errorf("FXOS version %s: build number is needed for the package filename, e.g. 2.16.0.128", f)
	case f.Major < 0 || f.Minor < 0 || f.Maintenance < 0:
		return "", fmt.Errorf("FXOS version %s: version numbers cannot be negative", f)
	}
	return "fxos-k9." + f.String() + ".SPA", nil
}

// CompareFXOS returns -1, 0 or 1. Unknown parts sort lowest, so a train
// sorts before its maintenance releases and a release without build before
// the same release with one; this keeps "at least 2.16" style checks
// conservative.
func CompareFXOS(a, b FXOS) int {
	if c := cmp.Compare(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Minor, b.Minor); c != 0 {
		return c
	}
	if a.HasMaintenance != b.HasMaintenance {
		if a.HasMaintenance {
			return 1
		}
		return -1
	}
	if !a.HasMaintenance {
		return 0
	}
	if c := cmp.Compare(a.Maintenance, b.Maintenance); c != 0 {
		return c
	}
	return cmp.Compare(max(a.Build, 0), max(b.Build, 0))
}
