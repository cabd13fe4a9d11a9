package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAcceptsFlagsAnywhereInBothForms(t *testing.T) {
	inv, err := Parse([]string{"-n", "shop", "gdpr", "export", "--subject=42", "--unit", "recipes", "--timeout", "90s",
		"--kubeconfig=/k", "--format", "csv", "--no-wait"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Command != "gdpr export" || inv.Namespace != "shop" || inv.Subject != "42" || inv.Unit != "recipes" ||
		inv.Timeout != 90*time.Second || inv.Kubeconfig != "/k" || inv.Format != "csv" || inv.Wait {
		t.Fatalf("parsed %+v", inv)
	}
}

func TestParseDefaults(t *testing.T) {
	inv, err := Parse([]string{"status"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Command != "status" || len(inv.Args) != 0 || !inv.Wait || inv.Timeout != defaultTimeout || inv.Namespace != "" {
		t.Fatalf("parsed %+v", inv)
	}
	inv, _ = Parse([]string{"maintenance", "pause", "weekly", "--no-wait", "--wait"})
	if inv.Command != "maintenance pause" || inv.Args[0] != "weekly" || !inv.Wait {
		t.Fatalf("the last of --wait/--no-wait wins: %+v", inv)
	}
}

func TestParseRejectsWhatItCannotActOn(t *testing.T) {
	for _, c := range []struct {
		argv    []string
		message string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"backup"}, "backup needs one of: now"},
		{[]string{"backup", "later", "p"}, "backup needs one of: now"},
		{[]string{"backup", "now"}, "backup now needs the name of the policy"},
		{[]string{"status", "a", "b"}, `status takes at most one unit, not "a b"`},
		{[]string{"report", "x"}, `report takes no arguments, not "x"`},
		{[]string{"maintenance", "run"}, "maintenance run needs the name of the window"},
		{[]string{"maintenance", "stop", "w"}, "maintenance needs one of: run, pause, resume"},
		{[]string{"gdpr", "erase", "--subject", "42"}, "gdpr erase needs --subject ID and --unit UNIT"},
		{[]string{"gdpr", "export", "--unit", "u", "--subject", "1", "--dry-run"}, "--dry-run applies to gdpr erase only"},
		{[]string{"gdpr", "export", "--unit", "u", "--subject", "1", "--format", "xml"}, `--format "xml": use json or csv`},
		{[]string{"status", "--timeout", "soon"}, `--timeout "soon" is not a positive duration`},
		{[]string{"status", "--timeout", "-1s"}, `--timeout "-1s" is not a positive duration`},
		{[]string{"status", "--namespace"}, "--namespace needs a value"},
		{[]string{"status", "--colour"}, "unknown flag --colour"},
		{[]string{"status", "-x"}, "unknown flag -x"},
		{[]string{"status", "--tier", "weekly"}, "--tier does not apply to status"},
		{[]string{"status", "--wait=false"}, "--wait takes no value"},
	} {
		_, err := Parse(c.argv)
		var usageErr usageError
		if !errors.As(err, &usageErr) || !strings.Contains(err.Error(), c.message) {
			t.Errorf("Parse(%q) = %v, want a usage error containing %q", c.argv, err, c.message)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, argv := range [][]string{{"--help"}, {"-h"}, {"help"}, {"status", "--help"}} {
		if inv, err := Parse(argv); err != nil || inv.Command != "help" {
			t.Errorf("Parse(%q) = %+v, %v", argv, inv, err)
		}
	}
}

func TestExitCodes(t *testing.T) {
	var out, log strings.Builder
	if code := run([]string{"backup", "now"}, &out, &log); code != 2 || !strings.Contains(log.String(), "Global flags") {
		t.Fatalf("usage error: exit %d, %q", code, log.String())
	}
	if code := run([]string{"help"}, &out, &log); code != 0 || !strings.Contains(out.String(), "Exit codes") {
		t.Fatalf("help: exit %d", code)
	}
	log.Reset()
	if code := run([]string{"status", "--kubeconfig", "/nonexistent/kubeconfig"}, &out, &log); code != 1 ||
		!strings.Contains(log.String(), "kubeconfig") {
		t.Fatalf("unreadable kubeconfig: exit %d, %q", code, log.String())
	}
}
