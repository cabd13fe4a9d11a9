package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The operator's on-demand annotations (backup/OnDemand.java): any new value is a request, handled once.
const (
	backupNowAnnotation      = "databaseunit.dev/backup-now"
	backupTierAnnotation     = "databaseunit.dev/backup-tier"
	restoreTestNowAnnotation = "databaseunit.dev/restore-test-now"
)

func (k *Kube) status(ctx context.Context, inv Invocation) error {
	var units []object
	if len(inv.Args) == 1 {
		unit, err := k.get(ctx, DatabaseUnits, inv.Args[0])
		if err != nil {
			return err
		}
		units = []object{unit}
	} else {
		var err error
		if units, err = k.list(ctx, DatabaseUnits); err != nil {
			return err
		}
		if len(units) == 0 {
			fmt.Fprintf(k.out, "No DatabaseUnits in namespace %s.\n", k.Namespace)
			return nil
		}
	}
	policies, err := k.list(ctx, BackupPolicies)
	if err != nil {
		return err
	}
	windows, err := k.list(ctx, MaintenanceWindows)
	if err != nil {
		return err
	}
	requests, err := k.list(ctx, GdprRequests)
	if err != nil {
		return err
	}
	now := k.now()
	for i, unit := range units {
		if i > 0 {
			fmt.Fprintln(k.out)
		}
		fmt.Fprint(k.out, FormatStatus(Related(unit, policies, windows, requests), now))
	}
	return nil
}

// onDemand is backup now and restore-test now: a new token in the annotation, then the policy's record of it.
type onDemand struct {
	what, annotation, record string
	done                     func(record object) bool
	report                   func(policy, record object) string
}

var backupRequest = onDemand{
	what: "backup", annotation: backupNowAnnotation, record: "lastOnDemandBackup",
	done: func(r object) bool { return str(r, "outcome") == "Succeeded" },
	report: func(policy, r object) string {
		text := fmt.Sprintf("backup %s succeeded", str(r, "backupId"))
		if last := child(policy, "status", "lastBackup"); last != nil && str(last, "id") == str(r, "backupId") {
			size, _ := number(last, "sizeBytes")
			text += fmt.Sprintf(": tier %s, %.0f bytes, ended %s, object %s", str(last, "tier"), size, str(last, "endTime"),
				str(last, "objectKey"))
		}
		return text
	},
}

var restoreTestRequest = onDemand{
	what: "restore test", annotation: restoreTestNowAnnotation, record: "lastOnDemandRestoreTest",
	done: func(r object) bool { return str(r, "outcome") == "Passed" },
	report: func(policy, r object) string {
		text := fmt.Sprintf("restore test Passed: backup %s", str(r, "backupId"))
		if last := child(policy, "status", "lastRestoreTest"); last != nil && str(last, "backupId") == str(r, "backupId") {
			text += " (" + orUnknown(str(last, "source")) + ")"
			if rto, ok := number(last, "recoveryTimeSeconds"); ok {
				text += fmt.Sprintf(", RTO %.1fs", rto)
			}
			if met := str(last, "rtoMet"); met != "" {
				text += fmt.Sprintf(", objective %s met: %s", orUnknown(str(policy, "spec", "restoreTest", "rto")), met)
			}
		}
		return text
	},
}

func (k *Kube) requestNow(ctx context.Context, inv Invocation, request onDemand) error {
	policyName := inv.Args[0]
	if _, err := k.get(ctx, BackupPolicies, policyName); err != nil {
		return err
	}
	token := newToken(k)
	annotations := map[string]any{request.annotation: token}
	if inv.Tier != "" {
		annotations[backupTierAnnotation] = inv.Tier
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if _, err := k.mergePatch(ctx, BackupPolicies, policyName, string(patch)); err != nil {
		return err
	}
	fmt.Fprintf(k.out, "BackupPolicy %s: %s requested (%s=%s)\n", policyName, request.what, request.annotation, token)
	if !inv.Wait {
		return nil
	}
	policy, err := k.waitFor(ctx, BackupPolicies, policyName, inv.Timeout, func(p object) (bool, string) {
		if str(p, "status", request.record, "token") == token {
			return true, ""
		}
		return false, operationProgress(p, token)
	})
	if err != nil {
		return err
	}
	record := child(policy, "status", request.record)
	if !request.done(record) {
		return fmt.Errorf("%s %s: %s", request.what, str(record, "outcome"), orUnknown(str(record, "message")))
	}
	fmt.Fprintln(k.out, request.report(policy, record))
	return nil
}

// operationProgress says where the policy's work for this token is.
func operationProgress(policy object, token string) string {
	op := child(policy, "status", "inProgress")
	if op == nil || str(op, "onDemandToken") != token {
		if op != nil {
			return fmt.Sprintf("waiting: the policy is busy with %s %s (%s)", str(op, "kind"), str(op, "id"), str(op, "phase"))
		}
		return "waiting for the operator to take up the request"
	}
	text := str(op, "kind") + " " + str(op, "phase")
	if id := str(op, "id"); id != "" {
		text = str(op, "kind") + " " + id + ": " + str(op, "phase")
	}
	return text
}

// newToken is unique per request (the operator runs a token once) and says when it was made.
func newToken(k *Kube) string {
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	return "dbu-" + k.now().UTC().Format("20060102t150405z") + "-" + hex.EncodeToString(suffix)
}

func (k *Kube) maintenanceRun(ctx context.Context, inv Invocation) error {
	windowName := inv.Args[0]
	window, err := k.get(ctx, MaintenanceWindows, windowName)
	if err != nil {
		return err
	}
	if err := runUnderway(window); err != nil {
		return err
	}
	scheduled := str(window, "spec", "schedule") != ""
	if str(window, "spec", "runNow") == "true" {
		if !scheduled {
			// runNow opens one window per generation, and a window without a schedule cannot drop runNow to make a new one.
			return fmt.Errorf("MaintenanceWindow %s has runNow and no schedule: it runs once per spec change; create a new window "+
				"(or change its spec) to run again", windowName)
		}
		if _, err := k.mergePatch(ctx, MaintenanceWindows, windowName, `{"spec":{"runNow":false}}`); err != nil {
			return err
		}
	}
	window, err = k.mergePatch(ctx, MaintenanceWindows, windowName, `{"spec":{"runNow":true}}`)
	if err != nil {
		return err
	}
	generation := str(window, "metadata", "generation")
	fmt.Fprintf(k.out, "MaintenanceWindow %s: run requested (spec.runNow, generation %s)\n", windowName, generation)
	ofThisRequest := func(w object, which string) object {
		run := child(w, "status", which)
		if run != nil && str(run, "generation") == generation {
			return run
		}
		return nil
	}
	window, err = k.waitFor(ctx, MaintenanceWindows, windowName, inv.Timeout, func(w object) (bool, string) {
		return ofThisRequest(w, "currentRun") != nil || ofThisRequest(w, "lastRun") != nil, windowProgress(w)
	})
	if err != nil {
		return err
	}
	if !inv.Wait {
		if run := ofThisRequest(window, "currentRun"); run != nil {
			fmt.Fprintf(k.out, "run %s started\n", str(run, "id"))
		}
		if scheduled {
			fmt.Fprintf(k.out, "runNow stays true, and replaces the schedule, until it is set back to false after the run\n")
		}
		return nil
	}
	window, err = k.waitFor(ctx, MaintenanceWindows, windowName, inv.Timeout, func(w object) (bool, string) {
		last := ofThisRequest(w, "lastRun")
		return last != nil && str(last, "endTime") != "" && ofThisRequest(w, "currentRun") == nil, windowProgress(w)
	})
	if err != nil {
		return err
	}
	run := ofThisRequest(window, "lastRun")
	fmt.Fprint(k.out, FormatRun(run))
	if scheduled {
		// runNow replaces the schedule; it goes back only after the run, as the operator's status writes during a run
		// conflict with any change to the window.
		if _, err := k.mergePatch(ctx, MaintenanceWindows, windowName, `{"spec":{"runNow":false}}`); err != nil {
			return err
		}
		fmt.Fprintf(k.out, "MaintenanceWindow %s: schedule %q applies again (runNow back to false)\n", windowName,
			str(window, "spec", "schedule"))
	}
	if str(run, "outcome") != "Succeeded" {
		return fmt.Errorf("run %s %s: %s", str(run, "id"), str(run, "outcome"), orUnknown(str(run, "reason")))
	}
	return nil
}

// runUnderway refuses to change a window during a run: no change reaches a run in progress (pause holds only the
// schedule), so the user is told to wait rather than shown an effect that is not there.
func runUnderway(w object) error {
	if run := child(w, "status", "currentRun"); run != nil {
		return fmt.Errorf("MaintenanceWindow %s has run %s underway (phase %s): change it after the run ends", name(w),
			str(run, "id"), orUnknown(str(w, "status", "phase")))
	}
	return nil
}

func windowProgress(w object) string {
	run := child(w, "status", "currentRun")
	if run == nil {
		return "waiting for the operator to start the run"
	}
	text := fmt.Sprintf("run %s of %s: %s", str(run, "id"), str(run, "unit"), orUnknown(str(w, "status", "phase")))
	for _, task := range items(run, "tasks") {
		if str(task, "state") == "Running" {
			text += ", task " + str(task, "task")
		}
	}
	return text
}

// FormatRun is a maintenance run's outcome and its tasks, one line each.
func FormatRun(run object) string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s of %s: %s", str(run, "id"), str(run, "unit"), orUnknown(str(run, "outcome")))
	if reason := str(run, "reason"); reason != "" {
		fmt.Fprintf(&b, " (%s)", reason)
	}
	if drain, ok := number(run, "drainSeconds"); ok {
		fmt.Fprintf(&b, ", drained in %.3fs", drain)
	}
	b.WriteString("\n")
	for _, task := range items(run, "tasks") {
		seconds, _ := number(task, "durationSeconds")
		fmt.Fprintf(&b, "  %-18s %-10s %6.2fs  %s\n", str(task, "task"), str(task, "state"), seconds, str(task, "message"))
	}
	return b.String()
}

// maintenanceHold sets spec.suspend: a held window starts no scheduled run; a run underway finishes.
func (k *Kube) maintenanceHold(ctx context.Context, inv Invocation, suspend bool) error {
	windowName := inv.Args[0]
	current, err := k.get(ctx, MaintenanceWindows, windowName)
	if err != nil {
		return err
	}
	if err := runUnderway(current); err != nil {
		return err
	}
	window, err := k.mergePatch(ctx, MaintenanceWindows, windowName, fmt.Sprintf(`{"spec":{"suspend":%t}}`, suspend))
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "paused", false: "resumed"}[suspend]
	fmt.Fprintf(k.out, "MaintenanceWindow %s: %s (spec.suspend=%t)\n", windowName, verb, suspend)
	if !inv.Wait {
		return nil
	}
	generation := str(window, "metadata", "generation")
	window, err = k.waitFor(ctx, MaintenanceWindows, windowName, inv.Timeout, func(w object) (bool, string) {
		return str(w, "status", "observedGeneration") == generation, "waiting for the operator to see the change"
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(k.out, "Ready: %s\n", conditionText(window, "Ready"))
	return nil
}

func (k *Kube) gdpr(ctx context.Context, inv Invocation) error {
	if _, err := k.get(ctx, DatabaseUnits, inv.Unit); err != nil {
		return err
	}
	requestedBy := inv.RequestedBy
	if requestedBy == "" {
		requestedBy = k.User
	}
	if requestedBy == "" {
		return usagef("the kubeconfig names no user to record as the requester: pass --requested-by WHO")
	}
	requestType := map[string]string{"gdpr export": "Export", "gdpr erase": "Erase"}[inv.Command]
	spec := map[string]any{"databaseUnit": inv.Unit, "type": requestType, "subjectId": inv.Subject, "requestedBy": requestedBy}
	if inv.Reason != "" {
		spec["reason"] = inv.Reason
	}
	if inv.Format != "" {
		spec["format"] = inv.Format
	}
	if inv.DryRun {
		spec["dryRun"] = true
	}
	// The name carries no subject id: that is personal data, kept in the spec only (the audit trail records its hash).
	request := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "databaseunit.dev/v1alpha1", "kind": "GdprRequest",
		"metadata": map[string]any{"generateName": strings.ToLower(requestType) + "-" + truncate(inv.Unit, 40) + "-"},
		"spec":     spec,
	}}
	created, err := k.resource(GdprRequests).Create(ctx, request, metav1.CreateOptions{FieldManager: "kubectl-dbu"})
	if err != nil {
		return fmt.Errorf("creating the GdprRequest: %w", err)
	}
	requestName := created.GetName()
	fmt.Fprintf(k.out, "GdprRequest %s created: %s of a subject in DatabaseUnit %s\n", requestName, requestType, inv.Unit)
	if !inv.Wait {
		return nil
	}
	done, err := k.waitFor(ctx, GdprRequests, requestName, inv.Timeout, func(r object) (bool, string) {
		phase := str(r, "status", "phase")
		if phase == "Completed" || phase == "Failed" {
			return true, ""
		}
		if phase == "" {
			return false, "waiting for the operator to take up the request"
		}
		return false, fmt.Sprintf("GdprRequest %s: %s", requestName, phase)
	})
	if err != nil {
		return err
	}
	if str(done, "status", "phase") == "Failed" {
		return fmt.Errorf("GdprRequest %s failed: %s", requestName, conditionText(done, "Degraded"))
	}
	fmt.Fprint(k.out, FormatGdprResult(done))
	return nil
}

// FormatGdprResult is what a completed request did: where the export is, or what the erasure deleted.
func FormatGdprResult(r object) string {
	var b strings.Builder
	if export := child(r, "status", "export"); export != nil {
		size, _ := number(export, "sizeBytes")
		fmt.Fprintf(&b, "export written to %s\n  sha256 %s, %.0f bytes, deleted at %s\n", str(export, "location"),
			str(export, "sha256"), size, orUnknown(str(export, "expiresAt")))
		fmt.Fprintf(&b, "  rows: %s\n", counts(child(export, "rowCounts")))
	}
	if erasure := child(r, "status", "erasure"); erasure != nil {
		verb := "deleted"
		if str(erasure, "dryRun") == "true" {
			verb = "would delete (dry run, nothing deleted)"
		}
		fmt.Fprintf(&b, "erasure %s: %s\n", verb, counts(child(erasure, "deletedRows")))
		if keys := str(erasure, "cacheKeysInvalidated"); keys != "" {
			fmt.Fprintf(&b, "  cache keys removed: %s\n", keys)
		}
		if entry := str(erasure, "ledgerEntry"); entry != "" {
			fmt.Fprintf(&b, "  erasure-ledger entry %s (re-applied after any restore)\n", entry)
		}
	}
	return b.String()
}

// counts prints table=count pairs sorted by table.
func counts(m object) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, key := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", key, m[key]))
	}
	return strings.Join(parts, " ")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return strings.TrimRight(s[:n], "-.")
	}
	return s
}
