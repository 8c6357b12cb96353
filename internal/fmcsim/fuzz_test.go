package fmcsim

import (
	"encoding/json"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

// FuzzParseScenario: no input panics; whatever parses builds a simulator
// and survives a round trip through its own JSON.
func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(`{"management_center":{"version":"7.4.2"},"devices":[]}`))
	cat, err := catalog.Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseScenario(b)
		if err != nil {
			if sc != nil {
				t.Fatal("scenario returned with an error")
			}
			return
		}
		if _, err := newSim(sc, NewManualClock(t0), cat); err != nil {
			t.Fatalf("valid scenario does not build: %v", err)
		}
		again, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseScenario(again); err != nil {
			t.Fatalf("scenario does not round-trip: %v\n%s", err, again)
		}
	})
}
