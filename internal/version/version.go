// Package version parses, formats and orders the software versions that
// appear when planning Cisco Secure Firewall upgrades: management center and
// threat defense versions (Version) and Firepower 4100/9300 chassis versions
// (FXOS).
//
// Parsing is strict about shape but tolerant of the spellings the products
// themselves print, so that a typo in configuration fails at plan time with a
// message saying what is wrong instead of silently selecting the wrong
// upgrade path.
package version

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"
)

// Version is a management center / threat defense software version:
// major.minor.maintenance[.patch] with an optional build.
type Version struct {
	Major, Minor, Maintenance int
	// Patch is the fourth component; 0 when absent.
	Patch int
	// Build is 0 when unknown. Release notes and user configuration usually
	// name a release without its build, so the build only takes part in
	// comparisons when both sides know it.
	Build int
}

// Parse reads a management center or threat defense version. Besides the
// plain "7.4.2" and "7.4.2.1" forms it accepts the spellings the products
// print: an optional "v" or "Version " prefix and a build given as "-291",
// "(build 291)", "build 291" or the management center API's "-84 IMS 84".
// A fourth number is always a patch, never a build.
func Parse(s string) (Version, error) {
	fail := func(reason string) (Version, error) {
		return Version{}, &ParseError{Input: s, Reason: reason}
	}

	rest := strings.TrimSpace(s)
	if rest == "" {
		return fail("empty string")
	}
	if !balanced(rest) {
		return fail("unbalanced parentheses")
	}
	rest = trimVersionPrefix(rest)

	token, rest := splitVersionToken(rest)
	if token == "" {
		return fail("missing version number, e.g. 7.4.2")
	}
	nums, n, reason := parseDotted(token, 4)
	switch {
	case reason != "":
		return fail(reason)
	case n > 4:
		return fail("too many components: need major.minor.maintenance[.patch], e.g. 7.4.2.1")
	case n < 3:
		return fail("need major.minor.maintenance, e.g. 7.4.2")
	}

	build, reason := parseBuildSuffix(rest)
	if reason != "" {
		return fail(reason)
	}
	return Version{Major: nums[0], Minor: nums[1], Maintenance: nums[2], Patch: nums[3], Build: build}, nil
}

// MustParse is Parse for tests and static data; it panics on invalid input.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// trimVersionPrefix drops the "Version " label that appears in CLI output
// and the "v" that people habitually type in front of versions.
func trimVersionPrefix(s string) string {
	const word = "version"
	if len(s) >= len(word) && strings.EqualFold(s[:len(word)], word) {
		after := s[len(word):]
		if after == "" || startsWithSpace(after) {
			s = strings.TrimLeftFunc(after, unicode.IsSpace)
		}
	}
	// Only a "v" directly before a digit is a prefix; otherwise keep it so
	// the error quotes the word the user actually wrote.
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') && isDigit(s[1]) {
		s = s[1:]
	}
	return s
}

// splitVersionToken separates the dotted numbers from whatever follows. A
// hyphen ends the numbers only after a digit, so "-7.4.2" and "7.-4.2" stay
// in the token and are reported as negative numbers rather than as builds.
func splitVersionToken(s string) (token, rest string) {
	for i, r := range s {
		switch {
		case r == '(' || unicode.IsSpace(r):
			return s[:i], s[i:]
		case r == '-' && i > 0 && isDigit(s[i-1]):
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// parseBuildSuffix reads what follows the dotted numbers and returns the
// build, 0 when none is given.
func parseBuildSuffix(s string) (int, string) {
	if s == "" {
		return 0, ""
	}
	if s[0] == '-' {
		field, tail := splitField(s[1:])
		if field == "" {
			return 0, "missing build number after '-'"
		}
		build, reason := parseBuildNumber(field)
		if reason != "" {
			return 0, reason
		}
		if tail = strings.TrimSpace(tail); tail != "" && !isIMSTail(tail) {
			return 0, fmt.Sprintf("unexpected text %q after build number", tail)
		}
		return build, ""
	}

	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if s == "" {
		return 0, ""
	}
	if s[0] != '(' {
		return parseBuildClause(s)
	}
	// balanced() has already guaranteed a matching ')'.
	end := strings.IndexByte(s, ')')
	if tail := strings.TrimSpace(s[end+1:]); tail != "" {
		return 0, fmt.Sprintf("unexpected text %q after %q", tail, s[:end+1])
	}
	inner := strings.TrimSpace(s[1:end])
	if len(inner) < len("build") || !strings.EqualFold(inner[:len("build")], "build") {
		return 0, fmt.Sprintf("expected \"(build <number>)\", got %q", s)
	}
	return parseBuildClause(inner)
}

// parseBuildClause reads "build <n>", the form used in FMC/FTD CLI output.
func parseBuildClause(s string) (int, string) {
	const word = "build"
	if len(s) < len(word) || !strings.EqualFold(s[:len(word)], word) {
		return 0, fmt.Sprintf("unexpected text %q after version", s)
	}
	after := s[len(word):]
	if after != "" && !isDigit(after[0]) && !startsWithSpace(after) {
		return 0, fmt.Sprintf("unexpected text %q after version", s)
	}
	field, tail := splitField(strings.TrimLeftFunc(after, unicode.IsSpace))
	if field == "" {
		return 0, "missing build number after \"build\""
	}
	build, reason := parseBuildNumber(field)
	if reason != "" {
		return 0, reason
	}
	if tail = strings.TrimSpace(tail); tail != "" {
		return 0, fmt.Sprintf("unexpected text %q after build number", tail)
	}
	return build, ""
}

func parseBuildNumber(s string) (int, string) {
	build, reason := parseNumber(s)
	switch {
	case reason != "":
		return 0, "build " + reason
	case build == 0:
		return 0, "build number must be positive"
	}
	return build, ""
}

// isIMSTail reports whether s is the " IMS <n>" suffix the management
// center REST API appends to its server version; the number is not needed.
func isIMSTail(s string) bool {
	word, num := splitField(s)
	if !strings.EqualFold(word, "IMS") {
		return false
	}
	num, tail := splitField(strings.TrimLeftFunc(num, unicode.IsSpace))
	_, reason := parseNumber(num)
	return reason == "" && strings.TrimSpace(tail) == ""
}

// String formats the version without its build, the way release notes and
// upgrade package names refer to it.
func (v Version) String() string {
	b := make([]byte, 0, 24)
	b = strconv.AppendInt(b, int64(v.Major), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(v.Minor), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(v.Maintenance), 10)
	if v.Patch > 0 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(v.Patch), 10)
	}
	return string(b)
}

// WithBuild formats the version with its build when known, e.g. "7.6.1-291".
func (v Version) WithBuild() string {
	if v.Build <= 0 {
		return v.String()
	}
	return v.String() + "-" + strconv.Itoa(v.Build)
}

// Train is the major.minor release train, e.g. "7.4".
func (v Version) Train() string {
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
}

// MaintenanceRelease is the release a patch applies to: 7.4.2.1-12 -> 7.4.2.
func (v Version) MaintenanceRelease() Version {
	return Version{Major: v.Major, Minor: v.Minor, Maintenance: v.Maintenance}
}

// IsPatch reports whether v is a patch on top of a maintenance release.
func (v Version) IsPatch() bool { return v.Patch > 0 }

// Kind classifies the release as "major" (7.4.0), "maintenance" (7.4.2) or
// "patch" (7.4.2.1); the kinds differ in how they are installed and reverted.
func (v Version) Kind() string {
	switch {
	case v.Patch > 0:
		return "patch"
	case v.Maintenance == 0:
		return "major"
	default:
		return "maintenance"
	}
}

// Core is major.minor.maintenance as a semantic version. The patch is left
// out because Cisco patches do not change which features and upgrade paths
// apply, and semver has no fourth component to hold it.
func (v Version) Core() *semver.Version {
	return semver.New(nonNegative(v.Major), nonNegative(v.Minor), nonNegative(v.Maintenance), "", "")
}

// Satisfies checks a Masterminds semver constraint such as
// ">= 7.4.0, < 7.5.0" against Core, so every patch of a maintenance release
// satisfies exactly the constraints the release itself does.
func (v Version) Satisfies(constraint string) (bool, error) {
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false, fmt.Errorf("invalid version constraint %q: %w", constraint, err)
	}
	return c.Check(v.Core()), nil
}

// Compare returns -1, 0 or 1 ordering a and b by major, minor, maintenance
// and patch. Builds are compared only when both are known, so "7.6.1" equals
// both "7.6.1-291" and "7.6.1-300". That makes equality non-transitive across
// mixed known and unknown builds; callers that need a total order (sorting)
// should use versions whose builds are uniformly known or unknown.
func Compare(a, b Version) int {
	if c := cmp.Compare(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Maintenance, b.Maintenance); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Patch, b.Patch); c != 0 {
		return c
	}
	if a.Build > 0 && b.Build > 0 {
		return cmp.Compare(a.Build, b.Build)
	}
	return 0
}

// Less reports whether v sorts before o under Compare.
func (v Version) Less(o Version) bool { return Compare(v, o) < 0 }

// Equal reports whether Compare considers v and o the same release.
func (v Version) Equal(o Version) bool { return Compare(v, o) == 0 }

// SameMaintenance reports whether a and b share major.minor.maintenance,
// i.e. one could be a patch of the other's maintenance release.
func SameMaintenance(a, b Version) bool {
	return a.Major == b.Major && a.Minor == b.Minor && a.Maintenance == b.Maintenance
}

// nonNegative keeps hand-built Versions with negative fields from wrapping
// around to huge semver numbers.
func nonNegative(n int) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}
