package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// testAccProtoV6ProviderFactories runs the provider in-process for
// acceptance tests.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"fmcupgrade": providerserver.NewProtocol6WithError(New("test")()),
}

// providerConfigHCL points the provider at an overlay file; HCL needs
// forward slashes even on Windows.
func providerConfigHCL(file string) string {
	return "provider \"fmcupgrade\" {\n  catalog_file = \"" + filepath.ToSlash(file) + "\"\n}\n"
}

func TestProviderSchemaValid(t *testing.T) {
	ctx := context.Background()
	p := New("test")()

	var sresp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sresp)
	if sresp.Diagnostics.HasError() {
		t.Fatalf("provider schema: %v", sresp.Diagnostics)
	}
	if diags := sresp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("provider schema implementation: %v", diags)
	}

	pf, ok := p.(provider.ProviderWithFunctions)
	if !ok {
		t.Fatal("provider does not implement ProviderWithFunctions")
	}
	for _, newDS := range p.DataSources(ctx) {
		ds := newDS()
		var mresp datasource.MetadataResponse
		ds.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "fmcupgrade"}, &mresp)
		var dresp datasource.SchemaResponse
		ds.Schema(ctx, datasource.SchemaRequest{}, &dresp)
		if dresp.Diagnostics.HasError() {
			t.Errorf("%s schema: %v", mresp.TypeName, dresp.Diagnostics)
		}
		if diags := dresp.Schema.ValidateImplementation(ctx); diags.HasError() {
			t.Errorf("%s schema implementation: %v", mresp.TypeName, diags)
		}
	}
	for _, newFn := range pf.Functions(ctx) {
		fn := newFn()
		var mresp function.MetadataResponse
		fn.Metadata(ctx, function.MetadataRequest{}, &mresp)
		var dresp function.DefinitionResponse
		fn.Definition(ctx, function.DefinitionRequest{}, &dresp)
		var vresp function.DefinitionValidateResponse
		dresp.Definition.ValidateImplementation(ctx, function.DefinitionValidateRequest{FuncName: mresp.Name}, &vresp)
		if vresp.Diagnostics.HasError() {
			t.Errorf("function %s definition: %v", mresp.Name, vresp.Diagnostics)
		}
	}
}

// configure runs the provider's Configure with catalog_file set to v.
func configure(t *testing.T, v tftypes.Value) *provider.ConfigureResponse {
	t.Helper()
	return configureWith(t, map[string]tftypes.Value{"catalog_file": v})
}

// configureWith runs Configure with the given arguments, the rest null.
func configureWith(t *testing.T, args map[string]tftypes.Value) *provider.ConfigureResponse {
	t.Helper()
	ctx := context.Background()
	p := New("test")()
	var sresp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sresp)
	typ, ok := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("provider schema is not an object")
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
		if v, ok := args[name]; ok {
			vals[name] = v
		}
	}
	raw := tftypes.NewValue(typ, vals)
	resp := &provider.ConfigureResponse{}
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Schema: sresp.Schema, Raw: raw}}, resp)
	return resp
}

func TestProviderConfigure(t *testing.T) {
	t.Run("no catalog_file", func(t *testing.T) {
		resp := configure(t, tftypes.NewValue(tftypes.String, nil))
		if resp.Diagnostics.HasError() {
			t.Fatalf("unexpected diagnostics: %v", resp.Diagnostics)
		}
		data, ok := resp.DataSourceData.(*providerData)
		if !ok || data.Catalog == nil {
			t.Fatalf("DataSourceData = %#v, want the embedded catalog", resp.DataSourceData)
		}
	})

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing.json")
		resp := configure(t, tftypes.NewValue(tftypes.String, missing))
		if !resp.Diagnostics.HasError() {
			t.Fatal("want an error for a missing catalog_file")
		}
		d := resp.Diagnostics.Errors()[0]
		withPath, ok := d.(diag.DiagnosticWithPath)
		if !ok || !withPath.Path().Equal(path.Root("catalog_file")) {
			t.Errorf("error not on catalog_file: %v", d)
		}
		if !strings.Contains(d.Detail(), "missing.json") {
			t.Errorf("detail %q does not name the file", d.Detail())
		}
		if resp.DataSourceData != nil {
			t.Error("DataSourceData set despite the error")
		}
	})

	t.Run("invalid JSON", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(bad, []byte(`{"releases": [`), 0o600); err != nil {
			t.Fatal(err)
		}
		resp := configure(t, tftypes.NewValue(tftypes.String, bad))
		if !resp.Diagnostics.HasError() {
			t.Fatal("want an error for a malformed overlay")
		}
	})

	t.Run("unknown waits", func(t *testing.T) {
		resp := configure(t, tftypes.NewValue(tftypes.String, tftypes.UnknownValue))
		if resp.Diagnostics.HasError() || resp.DataSourceData != nil {
			t.Fatalf("want no data and no error, got %v, %#v", resp.Diagnostics, resp.DataSourceData)
		}
	})
}

func TestDataSourceConfigureWithoutProvider(t *testing.T) {
	ctx := context.Background()
	for _, newDS := range New("test")().DataSources(ctx) {
		ds, ok := newDS().(datasource.DataSourceWithConfigure)
		if !ok {
			t.Fatalf("%T does not implement Configure", ds)
		}
		var resp datasource.ConfigureResponse
		ds.Configure(ctx, datasource.ConfigureRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			t.Errorf("%T: %v", ds, resp.Diagnostics)
		}
	}
}
