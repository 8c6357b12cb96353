// Command fmcsim runs the management center and FXOS chassis manager
// simulator on a loopback address:
//
//	go run ./internal/fmcsim/cmd/fmcsim --listen 127.0.0.1:8443 --scenario demo
//
// It serves HTTPS with a self-signed certificate (--write-ca saves its PEM
// for clients to trust) or plain HTTP with --http, and stops cleanly on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command without process globals, so tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fmcsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8443", "loopback address to listen on")
	scenario := fs.String("scenario", "demo", "scenario file, or the name of a built-in scenario ("+strings.Join(fmcsim.BuiltinNames(), ", ")+")")
	generate := fs.Int("generate", 0, "serve a generated estate of this many devices instead of --scenario")
	seed := fs.Int64("seed", 1, "seed for --generate")
	plain := fs.Bool("http", false, "serve plain HTTP instead of HTTPS")
	scale := fs.Float64("time-scale", 1, "simulated seconds per real second (60 runs an hour-long upgrade in a minute)")
	user := fs.String("username", "admin", "API user name")
	pass := fs.String("password", "Admin123", "API password")
	rpm := fs.Int("requests-per-minute", 0, "API rate limit (default: the scenario's, else 120)")
	writeCA := fs.String("write-ca", "", "write the certificate PEM clients must trust to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fmcsim: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	if err := fmcsim.CheckLoopback(*listen); err != nil {
		fmt.Fprintf(stderr, "fmcsim: %v\n", err)
		return 2
	}
	if *scale <= 0 || *scale > 100000 {
		fmt.Fprintln(stderr, "fmcsim: --time-scale must be in (0, 100000]")
		return 2
	}
	if *writeCA != "" && *plain {
		fmt.Fprintln(stderr, "fmcsim: --write-ca needs HTTPS; drop --http")
		return 2
	}

	var sc *fmcsim.Scenario
	var err error
	if *generate > 0 {
		sc = fmcsim.GenerateEstate(*generate, *seed)
	} else if sc, err = fmcsim.LoadScenario(*scenario); err != nil {
		fmt.Fprintf(stderr, "fmcsim: %v\n", err)
		return 1
	}
	srv, err := fmcsim.Start(ctx, fmcsim.Options{Scenario: sc, TimeScale: *scale, Username: *user, Password: *pass,
		PlainHTTP: *plain, Addr: *listen, RequestsPerMinute: *rpm,
		Logf: func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }})
	if err != nil {
		fmt.Fprintf(stderr, "fmcsim: %v\n", err)
		return 1
	}
	if *writeCA != "" {
		if err := os.WriteFile(*writeCA, srv.CACertPEM(), 0o644); err != nil {
			fmt.Fprintf(stderr, "fmcsim: write CA: %v\n", err)
			_ = srv.Close()
			return 1
		}
	}
	est := srv.Estate()
	fmt.Fprintf(stdout, "fmcsim: scenario %q: management center %s %s, %d units\n", sc.Name, est.ManagementCenter.Hostname, est.ManagementCenter.Version, len(est.Units))
	fmt.Fprintf(stdout, "fmcsim: management center API  %s  (user %s)\n", srv.URL(), *user)
	for _, c := range sc.Chassis {
		if c.Kind == "fxos" {
			fmt.Fprintf(stdout, "fmcsim: chassis manager %-14s %s\n", c.Name, srv.ChassisURL(c.ID))
		}
	}
	fmt.Fprintf(stdout, "fmcsim: control API  %s/simulator/v1/{audit,stats,estate,faults,management_center/upgrade}\n", srv.URL())
	if *writeCA != "" {
		fmt.Fprintf(stdout, "fmcsim: CA certificate written to %s\n", *writeCA)
	}
	fmt.Fprintln(stdout, "fmcsim: press Ctrl-C to stop")

	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "fmcsim: shutdown: %v\n", err)
		return 1
	}
	st := srv.Stats()
	fmt.Fprintf(stdout, "fmcsim: stopped after %d requests (%d throttled, %d upgrade requests, %d duplicates); %d rule breaches\n",
		st.Requests, st.Throttled, st.UpgradeRequests, st.DuplicateUpgradeRequests, len(srv.Audit()))
	routes := make([]string, 0, len(st.ByRoute))
	for r := range st.ByRoute {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		fmt.Fprintf(stdout, "fmcsim:   %6d  %s\n", st.ByRoute[r], r)
	}
	return 0
}
