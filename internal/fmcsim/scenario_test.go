package fmcsim

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

func TestBuiltinDemo(t *testing.T) {
	if got := BuiltinNames(); len(got) == 0 || got[0] != "demo" {
		t.Fatalf("BuiltinNames = %v", got)
	}
	sc := demo(t)
	if len(sc.Devices) != 16 || len(sc.HAPairs) != 2 || len(sc.Clusters) != 1 || len(sc.Chassis) != 7 || len(sc.UpgradePackages) != 6 {
		t.Fatalf("demo estate changed: %d devices, %d pairs, %d clusters, %d chassis, %d packages",
			len(sc.Devices), len(sc.HAPairs), len(sc.Clusters), len(sc.Chassis), len(sc.UpgradePackages))
	}
	kinds := map[string]int{}
	for _, c := range sc.Chassis {
		kinds[c.Kind]++
	}
	if kinds["fxos"] != 6 || kinds["multi_instance"] != 1 {
		t.Fatalf("chassis kinds %v", kinds)
	}
	fams := map[string]int{}
	for _, d := range sc.Devices {
		fams[d.Family]++
	}
	for fam, n := range map[string]int{"firepower_4100": 4, "firepower_9300": 4, "secure_firewall_3100": 2, "firepower_1000": 4, "threat_defense_virtual": 2} {
		if fams[fam] != n {
			t.Errorf("%s: %d devices, want %d", fam, fams[fam], n)
		}
	}
	// Builtin parses afresh: callers may modify what they get.
	sc.Devices[0].Name = "changed"
	if demo(t).Devices[0].Name == "changed" {
		t.Fatal("Builtin returned shared state")
	}
	if _, ok := Builtin("../demo"); ok {
		t.Fatal("Builtin accepted a path")
	}
	if _, err := LoadScenario("demo"); err != nil {
		t.Fatal(err)
	}
}

func TestScenarioDefaultsAreStable(t *testing.T) {
	a, b := demo(t), demo(t)
	for i := range a.Devices {
		if a.Devices[i].ID == "" || a.Devices[i].ID != b.Devices[i].ID {
			t.Fatalf("device %s id %q / %q", a.Devices[i].Name, a.Devices[i].ID, b.Devices[i].ID)
		}
	}
	for _, h := range a.HAPairs {
		if h.Active == "" || h.State != "in_sync" {
			t.Fatalf("pair defaults not filled: %+v", h)
		}
	}
	if a.HAPairs[1].Active != a.HAPairs[1].Secondary {
		t.Fatal("dc2-edge must start with its secondary active")
	}
	for _, c := range a.Chassis {
		for _, id := range c.Instances {
			found := false
			for _, d := range a.Devices {
				found = found || (d.ID == id && d.Chassis == c.ID)
			}
			if !found {
				t.Fatalf("chassis %s instance %s not linked back", c.Name, id)
			}
		}
	}
}

func TestParseScenarioErrors(t *testing.T) {
	base := func(extra string) string {
		return `{"name":"t","management_center":{"version":"7.4.2","build":172},` + extra + `}`
	}
	dev := func(name, fam, ver string, more string) string {
		return `{"name":"` + name + `","family":"` + fam + `","version":"` + ver + `"` + more + `}`
	}
	cases := []struct {
		name, in string
		want     []string
	}{
		{"not json", `{`, []string{"invalid JSON"}},
		{"trailing data", base(`"devices":[]`) + ` {}`, []string{"unexpected data"}},
		{"unknown field", base(`"devices":[],"devcies":[]`), []string{`unknown field "devcies"`}},
		{"wrong type", base(`"devices":"x"`), []string{"expected"}},
		{"bad fmc version", `{"management_center":{"version":"seven"},"devices":[]}`, []string{"management_center.version"}},
		{"unknown family", base(`"devices":[` + dev("a", "firepower_5000", "7.2.5", "") + `]`), []string{`devices[0] (a).family: unknown threat defense family "firepower_5000"`, "firepower_4100"}},
		{"bad device version", base(`"devices":[` + dev("a", "firepower_1000", "7.x", "") + `]`), []string{"devices[0] (a).version"}},
		{"device past fmc", base(`"devices":[` + dev("a", "firepower_1000", "7.6.1", "") + `]`), []string{"ORDER-1", "newer than the management center"}},
		{"duplicate names", base(`"devices":[` + dev("a", "firepower_1000", "7.2.5", "") + `,` + dev("a", "firepower_1000", "7.2.5", "") + `]`), []string{`"a" is used twice`}},
		{"bad health", base(`"devices":[` + dev("a", "firepower_1000", "7.2.5", `,"health":"blue"`) + `]`), []string{`health: "blue"`}},
		{"unknown domain", base(`"devices":[` + dev("a", "firepower_1000", "7.2.5", `,"domain":"Global/Nope"`) + `]`), []string{`unknown domain "Global/Nope"`}},
		{"domain not under global", base(`"domains":[{"name":"Branch"}],"devices":[]`), []string{"must be a path under Global"}},
		{"ha unknown member", base(`"devices":[` + dev("a", "firepower_1000", "7.2.5", "") + `],"ha_pairs":[{"name":"p","primary":"a","secondary":"b"}]`), []string{`ha_pairs[0] (p).secondary: unknown device "b"`}},
		{"ha mixed families", base(`"devices":[` + dev("a", "firepower_1000", "7.2.5", "") + `,` + dev("b", "threat_defense_virtual", "7.2.5", "") + `],"ha_pairs":[{"name":"p","primary":"a","secondary":"b"}]`), []string{"must be the same family"}},
		{"ha bad active", base(`"devices":[` + dev("a", "firepower_1000", "7.2.5", "") + `,` + dev("b", "firepower_1000", "7.2.5", "") + `,` + dev("c", "firepower_1000", "7.2.5", "") + `],"ha_pairs":[{"name":"p","primary":"a","secondary":"b","active":"c"}]`), []string{"neither the primary nor the secondary"}},
		{"device in two containers", base(`"devices":[` + dev("a", "threat_defense_virtual", "7.2.5", "") + `,` + dev("b", "threat_defense_virtual", "7.2.5", "") + `],"ha_pairs":[{"name":"p","primary":"a","secondary":"b"}],"clusters":[{"name":"c","control":"a","data":["b"]}]`), []string{"already in ha_pairs[0]"}},
		{"cluster without data", base(`"devices":[` + dev("a", "threat_defense_virtual", "7.2.5", "") + `],"clusters":[{"name":"c","control":"a"}]`), []string{"at least one data unit"}},
		{"chassis kind mismatch", base(`"chassis":[{"name":"c","kind":"fxos","version":"2.12.1.48"}],"devices":[` + dev("a", "firepower_1000", "7.2.5", `,"chassis":"c"`) + `]`), []string{"cannot run on a fxos chassis"}},
		{"chassis without build", base(`"chassis":[{"name":"c","kind":"fxos","version":"2.12"}],"devices":[]`), []string{"full FXOS version"}},
		{"multi-instance chassis share a host name", base(`"chassis":[{"name":"mi-1","host_name":"mi.example.net","kind":"multi_instance","version":"7.4.1"},{"name":"mi-2","host_name":"MI.example.net","kind":"multi_instance","version":"7.4.1"}],"devices":[]`),
			[]string{`chassis[1] (mi-2).host_name: "MI.example.net" is also the host name of chassis[0] (mi-1)`, "chassisUrl"}},
		{"chassis bad kind", base(`"chassis":[{"name":"c","kind":"blade","version":"2.12.1.48"}],"devices":[]`), []string{`kind: "blade"`}},
		{"fxos bundle as package", base(`"devices":[],"upgrade_packages":[{"file_name":"fxos-k9.2.14.1.131.SPA"}]`), []string{"installed on the chassis"}},
		{"unknown package name", base(`"devices":[],"upgrade_packages":[{"file_name":"mystery.tar"}]`), []string{"give version and families explicitly"}},
		{"alert unknown module", base(`"devices":[],"health_alerts":[{"module":"WARP_CORE","status":"RED"}]`), []string{`unknown health module "WARP_CORE"`}},
		{"task must end", base(`"devices":[],"running_tasks":[{"task_type":"DEVICE_DEPLOYMENT"}]`), []string{"a running task must end"}},
		{"bad duration", base(`"devices":[],"timings":{"install":"soon"}`), []string{"invalid duration"}},
		{"fault kind", base(`"devices":[],"faults":[{"kind":"meteor"}]`), []string{`kind: "meteor"`}},
		{"fault needs target", base(`"devices":[],"faults":[{"kind":"upgrade_fail"}]`), []string{"target: required"}},
		{"fault unknown target", base(`"devices":[],"faults":[{"kind":"disconnect","target":"ghost"}]`), []string{`unknown device "ghost"`}},
		{"fault count bound", base(`"devices":[],"faults":[{"kind":"server_error","count":1000000}]`), []string{"out of range"}},
		{"fault slow unbounded delay", base(`"devices":[],"faults":[{"kind":"slow_response","delay":"5m"}]`), []string{"delay: must be between"}},
		{"window fault takes no count", base(`"devices":[` + dev("a", "firepower_1000", "7.2.5", "") + `],"faults":[{"kind":"disconnect","target":"a","count":2}]`), []string{"lasts for a duration"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScenario([]byte(tc.in))
			if err == nil {
				t.Fatal("accepted")
			}
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %T: %v", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestPatchedDeviceUnderUnpatchedFMC(t *testing.T) {
	// ORDER-1 allows a patched device under an unpatched management center.
	sc, err := ParseScenario([]byte(`{"management_center":{"version":"7.4.2"},"devices":[{"name":"a","family":"firepower_1000","version":"7.4.2.1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "scenario" || sc.Devices[0].Health != "green" || !*sc.Devices[0].Connected {
		t.Fatalf("defaults not applied: %+v", sc.Devices[0])
	}
}

func TestParseScenarioReportsEveryProblem(t *testing.T) {
	_, err := ParseScenario([]byte(`{"management_center":{"version":"7.4.2"},"devices":[{"name":"a","family":"x","version":"7.2.5"},{"name":"b","family":"firepower_1000","version":"bad"}]}`))
	var se *ScenarioError
	if !errors.As(err, &se) || len(se.Problems) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
}

func TestLoadScenarioFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.json")
	if err := os.WriteFile(p, []byte(`{"management_center":{"version":"7.4.2"},"devices":[{"name":"a","family":"nope","version":"7.2.5"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadScenario(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+":") {
		t.Fatalf("error should name the file: %v", err)
	}
	if _, err := LoadScenario(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestDurationJSON(t *testing.T) {
	var d struct{ A, B Duration }
	if err := json.Unmarshal([]byte(`{"A":"1m30s","B":45}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.A.D() != 90*time.Second || d.B.D() != 45*time.Second {
		t.Fatalf("%v %v", d.A.D(), d.B.D())
	}
	b, _ := json.Marshal(d.A)
	if string(b) != `"1m30s"` {
		t.Fatalf("marshal %s", b)
	}
	if err := json.Unmarshal([]byte(`{"A":1e300}`), &d); err == nil {
		t.Fatal("overflowing duration accepted")
	}
}

func TestGenerateEstate(t *testing.T) {
	a := GenerateEstate(2500, 7)
	b := GenerateEstate(2500, 7)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("GenerateEstate is not deterministic")
	}
	if c, _ := json.Marshal(GenerateEstate(2500, 8)); string(c) == string(ja) {
		t.Fatal("the seed changes nothing")
	}
	if len(a.Devices) < 2500 || len(a.Devices) > 2503 {
		t.Fatalf("%d devices", len(a.Devices))
	}
	fams := map[string]bool{}
	for _, d := range a.Devices {
		fams[d.Family] = true
	}
	for _, f := range []string{"firepower_1000", "threat_defense_virtual", "secure_firewall_3100", "firepower_4100", "firepower_9300"} {
		if !fams[f] {
			t.Errorf("no %s devices", f)
		}
	}
	if len(a.HAPairs) == 0 || len(a.Clusters) == 0 || len(a.Chassis) == 0 || len(a.Domains) < 2 {
		t.Fatalf("estate lacks structure: %d pairs %d clusters %d chassis %d domains", len(a.HAPairs), len(a.Clusters), len(a.Chassis), len(a.Domains))
	}
	// What it returns round-trips through the scenario format.
	if _, err := ParseScenario(ja); err != nil {
		t.Fatalf("generated scenario does not parse: %v", err)
	}
	if n := len(GenerateEstate(0, 1).Devices); n != 1 {
		t.Fatalf("GenerateEstate(0) made %d devices", n)
	}
	cat, _ := catalog.Default()
	if _, err := newSim(a, NewManualClock(t0), cat); err != nil {
		t.Fatal(err)
	}
}

func TestNewValidatesAScenarioBuiltInGo(t *testing.T) {
	sc := &Scenario{ManagementCenter: ManagementCenter{Version: "7.4.2"},
		Devices: []Device{{Name: "a", Family: "firepower_1000", Version: "7.2.5"}}}
	srv, err := New(Options{Scenario: sc, Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Devices[0].ID != "" {
		t.Fatal("New changed the caller's scenario")
	}
	if u := srv.Estate().Units[0]; u.Health != "green" || !u.Connected {
		t.Fatalf("defaults not applied: %+v", u)
	}
	bad := &Scenario{ManagementCenter: ManagementCenter{Version: "7.4.2"}, Devices: []Device{{Name: "a", Family: "nope", Version: "7.2.5"}}}
	if _, err := New(Options{Scenario: bad}); err == nil {
		t.Fatal("invalid scenario accepted")
	}
}

func BenchmarkNewLargeEstate(b *testing.B) {
	sc := GenerateEstate(10000, 1)
	for b.Loop() {
		if _, err := New(Options{Scenario: sc, Clock: NewManualClock(t0)}); err != nil {
			b.Fatal(err)
		}
	}
}
