// kubectl-dbu is the kubectl plugin of the DatabaseUnit operator: `kubectl dbu status|backup|restore-test|maintenance|
// gdpr|report`. It asks for work only through what the operator implements (the on-demand annotations, spec.runNow and
// spec.suspend of a MaintenanceWindow, a new GdprRequest) and reads outcomes from status, never from messages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the exit code: 0 done, 1 a failed outcome or an error, 2 a command line it cannot act on.
func run(argv []string, out, log io.Writer) int {
	inv, err := Parse(argv)
	if err != nil {
		fmt.Fprintf(log, "error: %v\n\n%s", err, usage)
		return 2
	}
	if inv.Command == "help" {
		fmt.Fprint(out, usage)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, inv.Timeout+time.Minute)
	defer cancel()
	k, err := connect(inv, out, log)
	if err == nil {
		err = dispatch(ctx, k, inv)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(log, "error: %v\n", err)
	var usageErr usageError
	if errors.As(err, &usageErr) {
		return 2
	}
	return 1
}

func dispatch(ctx context.Context, k *Kube, inv Invocation) error {
	switch inv.Command {
	case "status":
		return k.status(ctx, inv)
	case "backup now":
		return k.requestNow(ctx, inv, backupRequest)
	case "restore-test now":
		return k.requestNow(ctx, inv, restoreTestRequest)
	case "maintenance run":
		return k.maintenanceRun(ctx, inv)
	case "maintenance pause":
		return k.maintenanceHold(ctx, inv, true)
	case "maintenance resume":
		return k.maintenanceHold(ctx, inv, false)
	case "gdpr export", "gdpr erase":
		return k.gdpr(ctx, inv)
	case "report":
		return k.report(ctx, inv)
	}
	return usagef("unknown command %q", inv.Command)
}
