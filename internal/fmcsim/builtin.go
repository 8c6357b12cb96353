package fmcsim

import (
	"embed"
	"sort"
	"strings"
)

//go:embed scenarios/*.json
var builtinFS embed.FS

// Builtin returns a built-in scenario by name ("demo"), parsed afresh so
// callers may modify it.
func Builtin(name string) (*Scenario, bool) {
	if strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := builtinFS.ReadFile("scenarios/" + name + ".json")
	if err != nil {
		return nil, false
	}
	s, err := ParseScenario(b)
	if err != nil {
		// The embedded scenarios are tested; a failure here is a build
		// defect, not user input.
		panic("fmcsim: built-in scenario " + name + ": " + err.Error())
	}
	return s, true
}

// BuiltinNames lists the built-in scenarios.
func BuiltinNames() []string {
	entries, _ := builtinFS.ReadDir("scenarios")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(out)
	return out
}
