package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

// simProviderConfig points the provider at an in-process simulator on
// 127.0.0.1, trusting its certificate through ca_certificate.
func simProviderConfig(srv *fmcsim.Server, extra string) string {
	user, pass := srv.Credentials()
	return fmt.Sprintf(`provider "fmcupgrade" {
  url            = %q
  username       = %q
  password       = %q
  ca_certificate = <<-EOT
%s
EOT
%s
}
`, srv.URL(), user, pass, strings.TrimSpace(string(srv.CACertPEM())), extra)
}

func TestAccInventoryDataSource(t *testing.T) {
	srv := fmcsim.StartTest(t, fmcsim.Options{})
	devices := 0
	for _, u := range srv.Estate().Units {
		if u.Kind == "device" {
			devices++
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: simProviderConfig(srv, `  domain = "Global"`) + `data "fmcupgrade_inventory" "live" {}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("management_center").AtMapKey("version"), knownvalue.StringExact("7.4.2")),
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("management_center").AtMapKey("build"), knownvalue.Int64Exact(172)),
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("devices"), knownvalue.ListSizeExact(devices)),
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("devices"), knownvalue.ListPartial(map[int]knownvalue.Check{
						0: knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"name":       knownvalue.StringExact("br-fw-01"),
							"platform":   knownvalue.StringExact("firepower_1000"),
							"version":    knownvalue.StringExact("7.2.5"),
							"connected":  knownvalue.Bool(true),
							"chassis_id": knownvalue.Null(),
						}),
					})),
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("ha_pairs"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("clusters"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("clusters").AtSliceIndex(0).AtMapKey("data_ids"), knownvalue.ListSizeExact(3)),
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("chassis"), knownvalue.ListSizeExact(7)),
				},
			},
		},
	})
	if a := srv.Audit(); len(a) != 0 {
		t.Fatalf("simulator audit: %+v", a)
	}
}

// The connection arguments fall back to FMC_URL, FMC_USERNAME and
// FMC_PASSWORD; the planning data sources keep working with none set.
func TestAccInventoryDataSource_environment(t *testing.T) {
	srv := fmcsim.StartTest(t, fmcsim.Options{})
	user, pass := srv.Credentials()
	t.Setenv("FMC_URL", srv.URL())
	t.Setenv("FMC_USERNAME", user)
	t.Setenv("FMC_PASSWORD", pass)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `provider "fmcupgrade" {
  insecure = true
}
data "fmcupgrade_inventory" "live" {}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.fmcupgrade_inventory.live", tfjsonpath.New("management_center").AtMapKey("version"), knownvalue.StringExact("7.4.2")),
				},
			},
		},
	})
}

func TestAccInventoryDataSource_errors(t *testing.T) {
	srv := fmcsim.StartTest(t, fmcsim.Options{})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `data "fmcupgrade_inventory" "live" {}`,
				ExpectError: regexp.MustCompile(`(?s)No management center connection.*FMC_URL`),
			},
			{
				Config: fmt.Sprintf(`provider "fmcupgrade" {
  url      = %q
  username = "admin"
  password = "not-the-password"
  ca_certificate = <<-EOT
%s
EOT
}
data "fmcupgrade_inventory" "live" {}`, srv.URL(), strings.TrimSpace(string(srv.CACertPEM()))),
				ExpectError: regexp.MustCompile(`(?s)Reading the management center inventory failed.*`),
			},
			{
				// Without the simulator's CA the certificate is not trusted.
				Config: fmt.Sprintf(`provider "fmcupgrade" {
  url      = %q
  username = "admin"
  password = "Admin123"
}
data "fmcupgrade_inventory" "live" {}`, srv.URL()),
				ExpectError: regexp.MustCompile(`(?s)certificate`),
			},
		},
	})
}

func TestProviderConfigureConnection(t *testing.T) {
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	for _, env := range []string{"FMC_URL", "FMC_USERNAME", "FMC_PASSWORD", "FMC_DOMAIN"} {
		t.Setenv(env, "")
	}
	cases := []struct {
		name  string
		args  map[string]tftypes.Value
		attr  string
		error string
	}{
		{"url without password", map[string]tftypes.Value{"url": str("https://fmc.example.invalid"), "username": str("admin")}, "password", "Missing password"},
		{"url without username", map[string]tftypes.Value{"url": str("https://fmc.example.invalid"), "password": str("x")}, "username", "Missing username"},
		{"bad scheme", map[string]tftypes.Value{"url": str("ftp://fmc"), "username": str("a"), "password": str("b")}, "url", "Invalid management center connection"},
		{"bad CA", map[string]tftypes.Value{"url": str("https://fmc"), "username": str("a"), "password": str("b"), "ca_certificate": str("not a pem")}, "ca_certificate", "Invalid management center connection"},
		{"bad poll interval", map[string]tftypes.Value{"poll_interval": str("soon")}, "poll_interval", "Invalid poll interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := configureWith(t, tc.args)
			if !resp.Diagnostics.HasError() {
				t.Fatal("want an error")
			}
			d := resp.Diagnostics.Errors()[0]
			withPath, ok := d.(diag.DiagnosticWithPath)
			if !ok || !withPath.Path().Equal(path.Root(tc.attr)) || d.Summary() != tc.error {
				t.Fatalf("got %q on %v, want %q on %s", d.Summary(), d, tc.error, tc.attr)
			}
			if strings.Contains(d.Detail(), "b\"") {
				t.Fatalf("detail leaks the password: %q", d.Detail())
			}
		})
	}

	t.Run("connection configured", func(t *testing.T) {
		resp := configureWith(t, map[string]tftypes.Value{"url": str("https://fmc.example.invalid"), "username": str("a"), "password": str("secret-pw"), "insecure": tftypes.NewValue(tftypes.Bool, true)})
		if resp.Diagnostics.HasError() || len(resp.Diagnostics.Warnings()) != 1 {
			t.Fatalf("want one warning (insecure), got %v", resp.Diagnostics)
		}
		data, ok := resp.DataSourceData.(*providerData)
		if !ok || data.FMC == nil || data.PollInterval != defaultPollInterval {
			t.Fatalf("data = %+v", data)
		}
	})

	t.Run("unknown connection waits", func(t *testing.T) {
		resp := configureWith(t, map[string]tftypes.Value{"url": tftypes.NewValue(tftypes.String, tftypes.UnknownValue)})
		data, ok := resp.DataSourceData.(*providerData)
		if !ok || resp.Diagnostics.HasError() || data.FMC != nil || !strings.Contains(data.NoFMC, "not known until apply") {
			t.Fatalf("got %v, %+v", resp.Diagnostics, data)
		}
	})
}
