// Package planner computes upgrade decisions from the catalog: upgrade
// paths, package file names and whole-estate plans (PlanEstate, checked by
// CheckPlan). It is pure: no I/O, no clocks, no Terraform. Every decision
// names the rule of the product brief it follows (PATH-1, PKG-1, ...), and
// so does every refusal.
package planner

import (
	"fmt"
	"strings"
)

// Input fields a RuleError can point at. The provider maps them to the
// attribute or function argument of the same meaning.
const (
	FieldProduct  = "product"
	FieldPlatform = "platform"
	FieldFrom     = "from"
	FieldTo       = "to"
	FieldVersion  = "version"
	FieldBuild    = "build"
	FieldHotfix   = "hotfix"
	FieldKind     = "kind"
	// FieldA and FieldB are the two versions given to CompareVersions.
	FieldA = "a"
	FieldB = "b"
)

// RuleError is a refusal: which input caused it, the rule it breaks (empty
// for plain input errors) and how to fix it.
type RuleError struct {
	Field   string
	Rule    string
	Problem string
	Fix     string
}

func (e *RuleError) Error() string {
	msg := e.Problem
	if e.Rule != "" {
		msg = e.Rule + ": " + msg
	}
	if e.Fix != "" {
		msg += ". " + e.Fix
	}
	return msg
}

// Summary is a short title for diagnostics.
func (e *RuleError) Summary() string {
	if e.Rule == "" {
		return "Invalid " + e.Field
	}
	return fmt.Sprintf("Upgrade rule %s", e.Rule)
}

// refuse builds a RuleError; the fix is a sentence of its own, so it is
// capitalised here once rather than at every call.
func refuse(field, rule, fix, format string, args ...any) *RuleError {
	if fix != "" {
		fix = strings.ToUpper(fix[:1]) + fix[1:]
	}
	return &RuleError{Field: field, Rule: rule, Problem: fmt.Sprintf(format, args...), Fix: fix}
}
