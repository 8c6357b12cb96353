package version

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseError reports input that Parse or ParseFXOS rejected and why.
type ParseError struct {
	Input  string
	Reason string

	fxos bool
}

func (e *ParseError) Error() string {
	if e == nil {
		return "invalid version"
	}
	what := "version"
	if e.fxos {
		what = "FXOS version"
	}
	return "invalid " + what + " " + strconv.Quote(e.Input) + ": " + e.Reason
}

// maxDigits bounds every number well below int overflow; real versions and
// builds have at most four or five digits.
const maxDigits = 6

// parseNumber accepts plain decimal digits only. strconv.Atoi would also let
// signs through, and its range errors are less helpful than a digit limit.
func parseNumber(s string) (int, string) {
	if s == "" {
		return 0, "empty component"
	}
	digits := s
	if s[0] == '-' || s[0] == '+' {
		digits = s[1:]
	}
	if digits == "" || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, fmt.Sprintf("%q is not a number", s)
	}
	switch {
	case s[0] == '-':
		return 0, fmt.Sprintf("%q is negative", s)
	case s[0] == '+':
		return 0, fmt.Sprintf("%q has a leading '+'", s)
	case len(digits) > maxDigits:
		return 0, fmt.Sprintf("%q has more than %d digits", s, maxDigits)
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	return n, ""
}

// parseDotted parses up to limit dot-separated numbers. When there are more,
// it stops and reports n = limit+1 so the caller can word the error for its
// own format.
func parseDotted(s string, limit int) (nums [4]int, n int, reason string) {
	for field := range strings.SplitSeq(s, ".") {
		if n == limit {
			return nums, n + 1, ""
		}
		v, why := parseNumber(field)
		if why != "" {
			return nums, n, why
		}
		nums[n] = v
		n++
	}
	return nums, n, ""
}

// balanced reports whether every '(' in s is closed and no ')' comes first.
func balanced(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// splitField splits s at its first whitespace or '('.
func splitField(s string) (field, rest string) {
	i := strings.IndexFunc(s, func(r rune) bool { return r == '(' || unicode.IsSpace(r) })
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
