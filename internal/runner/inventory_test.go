package runner

import (
	"context"
	"fmt"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

func simClient(t testing.TB, opts fmcsim.Options) (*fmcsim.Server, *fmc.Client) {
	t.Helper()
	rpm := opts.RequestsPerMinute
	if rpm == 0 {
		rpm = fmc.DefaultRequestsPerMinute
	}
	srv := fmcsim.StartTest(t, opts)
	user, pass := srv.Credentials()
	c, err := fmc.New(fmc.Config{URL: srv.URL(), Username: user, Password: pass, CACertificatePEM: string(srv.CACertPEM()), RequestsPerMinute: rpm})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return srv, c
}

func TestReadInventoryDemo(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	srv, c := simClient(t, fmcsim.Options{})
	inv, err := ReadInventory(context.Background(), c, cat)
	if err != nil {
		t.Fatal(err)
	}
	if inv.ManagementCenter.Version != "7.4.2" || inv.ManagementCenter.Build != 172 || inv.ManagementCenter.Hostname == "" {
		t.Fatalf("management center = %+v", inv.ManagementCenter)
	}
	byName := map[string]Device{}
	for _, d := range inv.Devices {
		byName[d.Name] = d
		if d.Platform == "" {
			t.Errorf("%s (%s): no platform family", d.Name, d.Model)
		}
		if d.Version == "" || d.Connected == nil {
			t.Errorf("%s: version %q connected %v", d.Name, d.Version, d.Connected)
		}
	}
	edge := byName["dc1-edge-a"]
	if edge.Platform != "firepower_4100" || edge.ContainerType != "DeviceHAPair" || edge.ChassisID == "" {
		t.Fatalf("dc1-edge-a = %+v", edge)
	}
	mi := byName["dc2-mi-fw1"]
	if !mi.MultiInstance || mi.ChassisID == "" {
		t.Fatalf("dc2-mi-fw1 = %+v", mi)
	}
	var fxosChassis, miChassis int
	for _, ch := range inv.Chassis {
		switch ch.Kind {
		case catalog.ChassisFXOS:
			fxosChassis++
			if ch.ManagerURL == "" || len(ch.DeviceIDs) == 0 {
				t.Errorf("FXOS chassis %+v", ch)
			}
		case catalog.ChassisMultiInstance:
			miChassis++
			if ch.Version == "" || ch.Platform != "secure_firewall_3100" || len(ch.DeviceIDs) != 2 {
				t.Errorf("multi-instance chassis %+v", ch)
			}
		}
	}
	if fxosChassis != 6 || miChassis != 1 {
		t.Fatalf("chassis: %d FXOS, %d multi-instance", fxosChassis, miChassis)
	}
	if len(inv.HAPairs) != 2 || len(inv.Clusters) != 1 {
		t.Fatalf("%d HA pairs, %d clusters", len(inv.HAPairs), len(inv.Clusters))
	}
	for _, p := range inv.HAPairs {
		if p.ActiveID == "" || p.StandbyID == "" || p.ActiveID == p.StandbyID {
			t.Errorf("HA pair %+v", p)
		}
	}
	if cl := inv.Clusters[0]; cl.ControlID == "" || len(cl.DataIDs) != 3 {
		t.Errorf("cluster %+v", cl)
	}
	if a := srv.Audit(); len(a) != 0 {
		t.Errorf("audit: %+v", a)
	}
}

// The inventory costs one paged read per collection: ⌈N/1000⌉ device pages
// plus a constant, whatever the estate size.
func BenchmarkReadInventory(b *testing.B) {
	cat, err := catalog.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			srv, c := simClient(b, fmcsim.Options{Scenario: fmcsim.GenerateEstate(n, 1), RequestsPerMinute: 100000})
			if err := c.Login(context.Background()); err != nil {
				b.Fatal(err)
			}
			before := srv.Stats().Requests
			for b.Loop() {
				if _, err := ReadInventory(context.Background(), c, cat); err != nil {
					b.Fatal(err)
				}
			}
			perOp := float64(srv.Stats().Requests-before) / float64(b.N)
			b.ReportMetric(perOp, "requests/op")
			// Devices page by 1000; HA pairs and clusters are at most N/2
			// each; the version and chassis reads are constant.
			if limit := float64(3*((n+999)/1000) + 3); perOp > limit {
				b.Fatalf("%.1f requests per read of %d devices, want at most %.0f", perOp, n, limit)
			}
		})
	}
}
