package main

import (
	"fmt"
	"strings"
	"time"
)

// usageError is a command line the plugin cannot act on (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Invocation is a parsed command line: the command words, their positional arguments and every flag.
type Invocation struct {
	Command     string // status, backup now, restore-test now, maintenance run|pause|resume, gdpr export|erase, report, help
	Args        []string
	Namespace   string // empty: the kubeconfig context's namespace
	Kubeconfig  string // empty: $KUBECONFIG or ~/.kube/config
	Timeout     time.Duration
	Wait        bool
	Subject     string
	Unit        string
	RequestedBy string
	Reason      string
	Format      string
	DryRun      bool
	Tier        string
	Output      string
	OperatorNS  string
}

const defaultTimeout = 10 * time.Minute

// flags that take a value, by every name they answer to, and which command words accept them (nil: every command).
var valueFlags = map[string]struct {
	set      func(*Invocation, string) error
	commands []string
}{
	"namespace":          {func(i *Invocation, v string) error { i.Namespace = v; return nil }, nil},
	"kubeconfig":         {func(i *Invocation, v string) error { i.Kubeconfig = v; return nil }, nil},
	"timeout":            {setTimeout, nil},
	"subject":            {func(i *Invocation, v string) error { i.Subject = v; return nil }, []string{"gdpr export", "gdpr erase"}},
	"unit":               {func(i *Invocation, v string) error { i.Unit = v; return nil }, []string{"gdpr export", "gdpr erase"}},
	"requested-by":       {func(i *Invocation, v string) error { i.RequestedBy = v; return nil }, []string{"gdpr export", "gdpr erase"}},
	"reason":             {func(i *Invocation, v string) error { i.Reason = v; return nil }, []string{"gdpr export", "gdpr erase"}},
	"format":             {setFormat, []string{"gdpr export"}},
	"tier":               {func(i *Invocation, v string) error { i.Tier = v; return nil }, []string{"backup now"}},
	"output":             {func(i *Invocation, v string) error { i.Output = v; return nil }, []string{"report"}},
	"operator-namespace": {func(i *Invocation, v string) error { i.OperatorNS = v; return nil }, []string{"report"}},
}

var shortFlags = map[string]string{"n": "namespace", "o": "output"}

func setTimeout(i *Invocation, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return usagef("--timeout %q is not a positive duration (e.g. 90s, 10m)", v)
	}
	i.Timeout = d
	return nil
}

func setFormat(i *Invocation, v string) error {
	if v != "json" && v != "csv" {
		return usagef("--format %q: use json or csv", v)
	}
	i.Format = v
	return nil
}

// commands by their words, with how many positional arguments each takes (min, max) and what they name.
var commands = map[string]struct {
	min, max int
	operand  string
}{
	"status":             {0, 1, "unit"},
	"backup now":         {1, 1, "policy"},
	"restore-test now":   {1, 1, "policy"},
	"maintenance run":    {1, 1, "window"},
	"maintenance pause":  {1, 1, "window"},
	"maintenance resume": {1, 1, "window"},
	"gdpr export":        {0, 0, ""},
	"gdpr erase":         {0, 0, ""},
	"report":             {0, 0, ""},
	"help":               {0, 0, ""},
}

// groups are first words that need a second one.
var groups = map[string][]string{
	"backup":       {"now"},
	"restore-test": {"now"},
	"maintenance":  {"run", "pause", "resume"},
	"gdpr":         {"export", "erase"},
}

// Parse reads a command line the way kubectl plugins are called: flags anywhere, `--flag value` or `--flag=value`.
func Parse(argv []string) (Invocation, error) {
	inv := Invocation{Timeout: defaultTimeout, Wait: true}
	var words []string
	var flags [][2]string // name, value ("" for switches)
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			words = append(words, argv[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			words = append(words, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "--") {
			long, ok := shortFlags[name]
			if !ok {
				if name == "h" {
					return Invocation{Command: "help"}, nil
				}
				return inv, usagef("unknown flag %s", a)
			}
			name = long
		}
		switch name {
		case "help":
			return Invocation{Command: "help"}, nil
		case "wait", "no-wait", "dry-run":
			if hasValue {
				return inv, usagef("--%s takes no value", name)
			}
			flags = append(flags, [2]string{name, ""})
			continue
		}
		if _, ok := valueFlags[name]; !ok {
			return inv, usagef("unknown flag --%s", name)
		}
		if !hasValue {
			if i+1 >= len(argv) {
				return inv, usagef("--%s needs a value", name)
			}
			i++
			value = argv[i]
		}
		flags = append(flags, [2]string{name, value})
	}
	if len(words) == 0 {
		return inv, usagef("no command given")
	}
	command := words[0]
	rest := words[1:]
	if subs, ok := groups[command]; ok {
		if len(rest) == 0 || !contains(subs, rest[0]) {
			return inv, usagef("%s needs one of: %s", command, strings.Join(subs, ", "))
		}
		command += " " + rest[0]
		rest = rest[1:]
	}
	spec, ok := commands[command]
	if !ok {
		return inv, usagef("unknown command %q", words[0])
	}
	if len(rest) < spec.min {
		return inv, usagef("%s needs the name of the %s", command, spec.operand)
	}
	if len(rest) > spec.max {
		return inv, usagef("%s takes %s, not %q", command, takes(spec.max, spec.operand), strings.Join(rest, " "))
	}
	inv.Command, inv.Args = command, rest
	for _, f := range flags {
		switch f[0] {
		case "wait":
			inv.Wait = true
		case "no-wait":
			inv.Wait = false
		case "dry-run":
			if command != "gdpr erase" {
				return inv, usagef("--dry-run applies to gdpr erase only")
			}
			inv.DryRun = true
		default:
			v := valueFlags[f[0]]
			if v.commands != nil && !contains(v.commands, command) {
				return inv, usagef("--%s does not apply to %s", f[0], command)
			}
			if err := v.set(&inv, f[1]); err != nil {
				return inv, err
			}
		}
	}
	if strings.HasPrefix(command, "gdpr ") {
		if inv.Subject == "" || inv.Unit == "" {
			return inv, usagef("%s needs --subject ID and --unit UNIT", command)
		}
	}
	return inv, nil
}

func takes(n int, operand string) string {
	if n == 0 {
		return "no arguments"
	}
	return "at most one " + operand
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

const usage = `kubectl dbu: operate DatabaseUnits and their backups, maintenance windows and GDPR requests.

Commands:
  status [UNIT]                       Ready and why, pool, cache, indexes, backups, restore tests, next window,
                                      open GDPR requests; every unit in the namespace without UNIT
  backup now POLICY [--tier T]        an on-demand backup through the BackupPolicy (annotation databaseunit.dev/backup-now)
  restore-test now POLICY             an on-demand restore test (annotation databaseunit.dev/restore-test-now)
  maintenance run WINDOW              run the MaintenanceWindow once now (spec.runNow); after the run, its schedule again
  maintenance pause|resume WINDOW     hold the window's schedule, or release it (spec.suspend)
  gdpr export|erase --subject ID --unit UNIT [--requested-by WHO] [--reason TEXT] [--format json|csv] [--dry-run]
                                      create a GdprRequest and wait for it; export prints where the export is
  report [-o FILE.zip] [--operator-namespace NS]
                                      a support bundle: our resources, Events, operator logs; Secrets by name only

Global flags:
  -n, --namespace NS    namespace (default: the kubeconfig context's)
  --kubeconfig FILE     kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --timeout D           how long to wait for an outcome (default 10m)
  --wait / --no-wait    wait for the outcome (default), or return once the request is made

Exit codes: 0 done, 1 failed outcome or error, 2 usage.
`
