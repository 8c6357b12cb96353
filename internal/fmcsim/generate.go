package fmcsim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// GenerateEstate returns a valid scenario of about n devices (at least 1),
// the same for the same n and seed. It mixes the platforms of a large
// enterprise: Firepower 1000 branch firewalls, threat defense virtual,
// Secure Firewall 3100 HA pairs, Firepower 4100 HA pairs on their own
// chassis and inter-chassis Firepower 9300 clusters, spread over regional
// domains, on versions a 7.6.1 management center can manage.
func GenerateEstate(n int, seed int64) *Scenario {
	if n < 1 {
		n = 1
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	start := time.Date(2025, 6, 14, 22, 0, 0, 0, time.UTC)
	s := &Scenario{
		Name:        fmt.Sprintf("generated-%d-%d", n, seed),
		Description: fmt.Sprintf("Generated estate of %d devices (seed %d).", n, seed),
		StartTime:   &start,
		ManagementCenter: ManagementCenter{Version: "7.6.1", Build: 291, Model: "Cisco Secure Firewall Management Center 4700",
			Hostname: "fmc-gen.example.net", VDB: "build 400 ( 2025-05-20 10:11:12 )", SRU: "2025-05-21-001-vrt", LSP: "lsp-rel-20250521-1001"},
	}
	regions := max(1, min(20, n/250))
	for i := 1; i <= regions; i++ {
		s.Domains = append(s.Domains, Domain{Name: fmt.Sprintf("Global/Region-%02d", i)})
	}
	region := func() string { return s.Domains[rng.IntN(len(s.Domains))].Name }

	type rel struct {
		v     string
		b     int
		train string
	}
	tdVersions := []rel{{"7.2.5", 208, "7.2"}, {"7.2.9", 44, "7.2"}, {"7.4.1", 172, "7.4"}, {"7.4.2", 172, "7.4"}, {"7.6.0", 113, "7.6"}}
	chassisFXOS := map[string]string{"7.2": "2.12.1.48", "7.4": "2.14.1.131"}
	pick := func(vs []rel) rel { return vs[rng.IntN(len(vs))] }
	healthOf := func() string {
		switch x := rng.IntN(100); {
		case x < 3:
			return "red"
		case x < 10:
			return "yellow"
		}
		return "green"
	}
	seq := 0
	addDevice := func(family, model string, r rel, dom, chassis string, slot int) string {
		seq++
		name := fmt.Sprintf("gen-fw-%05d", seq)
		d := Device{Name: name, HostName: fmt.Sprintf("10.%d.%d.%d", 100+seq/65536%100, seq/256%256, seq%256),
			Family: family, Model: model, Version: r.v, Build: r.b, Health: healthOf(), Domain: dom, Chassis: chassis, Slot: slot}
		if rng.IntN(200) == 0 {
			f := false
			d.Connected = &f
		}
		s.Devices = append(s.Devices, d)
		if rng.IntN(40) == 0 {
			s.PendingDeployments = append(s.PendingDeployments, name)
		}
		return name
	}
	for len(s.Devices) < n {
		left := n - len(s.Devices)
		switch x := rng.IntN(100); {
		case x < 40 || left < 2:
			addDevice("firepower_1000", "Cisco Firepower 1140 Threat Defense", pick(tdVersions), region(), "", 0)
		case x < 55:
			addDevice("threat_defense_virtual", "Cisco Firepower Threat Defense for VMware", pick(tdVersions), region(), "", 0)
		case x < 75:
			r, dom := pick(tdVersions[2:]), region()
			a := addDevice("secure_firewall_3100", "Cisco Secure Firewall 3120 Threat Defense", r, dom, "", 0)
			b := addDevice("secure_firewall_3100", "Cisco Secure Firewall 3120 Threat Defense", r, dom, "", 0)
			s.HAPairs = append(s.HAPairs, HAPair{Name: fmt.Sprintf("gen-ha-%05d", len(s.HAPairs)+1), Primary: a, Secondary: b, Domain: dom})
		case x < 90 || left < 4:
			r, dom := pick(tdVersions[:4]), region()
			var units []string
			for k := 0; k < 2; k++ {
				cname := fmt.Sprintf("gen-fxos-%05d", len(s.Chassis)+1)
				s.Chassis = append(s.Chassis, Chassis{Name: cname, Kind: "fxos", Model: "FPR-4145-K9", Version: chassisFXOS[r.train], Domain: dom})
				units = append(units, addDevice("firepower_4100", "Cisco Firepower 4145 Threat Defense", r, dom, cname, 1))
			}
			s.HAPairs = append(s.HAPairs, HAPair{Name: fmt.Sprintf("gen-ha-%05d", len(s.HAPairs)+1), Primary: units[0], Secondary: units[1], Domain: dom})
		default:
			r, dom := pick(tdVersions[:4]), region()
			var units []string
			for k := 0; k < 2; k++ {
				cname := fmt.Sprintf("gen-fxos-%05d", len(s.Chassis)+1)
				s.Chassis = append(s.Chassis, Chassis{Name: cname, Kind: "fxos", Model: "FPR-C9300-AC", Version: chassisFXOS[r.train], Domain: dom})
				for slot := 1; slot <= 2; slot++ {
					units = append(units, addDevice("firepower_9300", "Cisco Firepower 9000 Series SM-56 Threat Defense", r, dom, cname, slot))
				}
			}
			s.Clusters = append(s.Clusters, Cluster{Name: fmt.Sprintf("gen-cluster-%04d", len(s.Clusters)+1), Kind: "inter_chassis",
				Control: units[0], Data: units[1:], Domain: dom})
		}
	}
	for _, f := range []string{"Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar", "Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar",
		"Cisco_FTD_SSP_Upgrade-7.6.1-291.sh.REL.tar", "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"} {
		s.UpgradePackages = append(s.UpgradePackages, UpgradePackage{FileName: f})
	}
	for i := 0; i < n/50; i++ {
		d := s.Devices[rng.IntN(len(s.Devices))]
		mod := []string{"TIME_SYNC", "DISK_USAGE", "CPU", "MEMORY_USAGE"}[rng.IntN(4)]
		st := []string{"YELLOW", "RED"}[rng.IntN(2)]
		s.HealthAlerts = append(s.HealthAlerts, HealthAlert{Device: d.Name, Module: mod, Status: st,
			Details: fmt.Sprintf("%s threshold crossed.", mod), Age: Duration(time.Duration(rng.IntN(48)) * time.Hour)})
	}
	if err := s.Validate(); err != nil {
		panic("fmcsim: generated estate is invalid: " + err.Error())
	}
	return s
}
