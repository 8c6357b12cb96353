package fmcsim

import (
	"net/http"
	"strings"
	"testing"
)

func TestRegisterPackage(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	const path = "/api/fmc_platform/v1/updates/upgradepackages"
	var pkg upgradePackageJSON
	h.call("POST", path, map[string]any{
		"type": "UpgradePackage", "name": "Cisco_FTD_SSP_FP3K_Upgrade-7.6.2-250.sh.REL.tar",
		"url": "https://repo.example.com/ftd/Cisco_FTD_SSP_FP3K_Upgrade-7.6.2-250.sh.REL.tar",
	}, http.StatusCreated, &pkg)
	if pkg.ID == "" || pkg.Name != "Cisco_FTD_SSP_FP3K_Upgrade-7.6.2-250.sh" || pkg.Metadata == nil || !strings.HasPrefix(pkg.Metadata.UpdateVersion, "7.6.2-250") {
		t.Fatalf("registered package = %+v", pkg)
	}
	if h.packageID("Cisco_FTD_SSP_FP3K_Upgrade-7.6.2-250.sh") != pkg.ID {
		t.Fatal("registered package not listed")
	}
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		// The same package in the guide's spelling is a duplicate.
		{map[string]any{"url": "https://mirror.example.com/Cisco_FTD_SSP-FP3K_Upgrade-7.6.2-250.sh.REL.tar"}, "already exists"},
		{map[string]any{"url": "ftp://repo.example.com/Cisco_FTD_Upgrade-7.6.2-250.sh.REL.tar"}, "Invalid URL"},
		{map[string]any{"url": "https://repo.example.com/readme.txt"}, "is not an upgrade package file name"},
		{map[string]any{"url": "https://repo.example.com/Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.2-250.sh.REL.tar"}, "must be uploaded"},
		{map[string]any{"url": "https://repo.example.com/Cisco_FTD_Upgrade-7.6.2-250.sh.REL.tar", "caCertificates": "not a certificate"}, "Invalid CA certificates"},
		{map[string]any{"url": "https://repo.example.com/Cisco_FTD_Upgrade-7.6.2-250.sh.REL.tar", "name": "other.sh.REL.tar"}, "does not match"},
	} {
		b := h.call("POST", path, tc.body, http.StatusBadRequest, nil)
		if !strings.Contains(errorDescription(t, b), tc.want) {
			t.Errorf("%v: %s, want %q", tc.body, b, tc.want)
		}
	}

	sc := demo(t)
	sc.PackageRegistration = "refuse"
	r := newHarness(t, sc)
	r.loginNow()
	r.call("POST", path, map[string]any{"url": "https://repo.example.com/Cisco_FTD_Upgrade-7.6.2-250.sh.REL.tar"}, http.StatusMethodNotAllowed, nil)

	bad := demo(t)
	bad.PackageRegistration = "sometimes"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "package_registration") {
		t.Fatalf("Validate = %v", err)
	}
}
