package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Pure functions from our resources (as the API server returns them) and a clock reading to what the plugin prints.

type object = map[string]any

func str(o object, path ...string) string {
	v, found, err := unstructured.NestedFieldNoCopy(o, path...)
	if !found || err != nil || v == nil {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	default:
		return fmt.Sprint(t)
	}
}

func number(o object, path ...string) (float64, bool) {
	v, found, err := unstructured.NestedFieldNoCopy(o, path...)
	if !found || err != nil {
		return 0, false
	}
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

func child(o object, path ...string) object {
	v, found, err := unstructured.NestedMap(o, path...)
	if !found || err != nil {
		return nil
	}
	return v
}

func items(o object, path ...string) []object {
	v, found, err := unstructured.NestedSlice(o, path...)
	if !found || err != nil {
		return nil
	}
	var out []object
	for _, e := range v {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func name(o object) string { return str(o, "metadata", "name") }

// condition returns the condition of that type in status.conditions, or nil.
func condition(o object, conditionType string) object {
	for _, c := range items(o, "status", "conditions") {
		if str(c, "type") == conditionType {
			return c
		}
	}
	return nil
}

var apiDuration = regexp.MustCompile(`^([0-9]+)(ms|s|m|h|d|w)$`)

// parseAPIDuration reads the durations our CRDs use (300s, 2h, 30d, 12w); ok is false for anything else.
func parseAPIDuration(s string) (time.Duration, bool) {
	m := apiDuration.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
		"d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, true
}

// human prints a duration the way a person reads an age: 42s, 3m05s, 5h07m, 3d4h.
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// ago is "3m05s ago" for a past RFC 3339 time, "in 3m05s" for a future one, "" when unreadable.
func ago(timestamp string, now time.Time) string {
	t, err := time.Parse(time.RFC3339, timestamp)
	if err != nil {
		return ""
	}
	if t.After(now) {
		return "in " + human(t.Sub(now))
	}
	return human(now.Sub(t)) + " ago"
}

func ratio(o object, path ...string) string {
	if v, ok := number(o, path...); ok {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return "unknown"
}

func millis(o object, path ...string) string {
	if v, ok := number(o, path...); ok {
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	}
	return "unknown"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// UnitView is one unit with the resources that name it.
type UnitView struct {
	Unit     object
	Policies []object // BackupPolicies with spec.databaseUnit = the unit
	Windows  []object // MaintenanceWindows of the unit (by name or selector)
	Requests []object // GdprRequests of the unit
}

// Related sorts the namespace's resources onto the unit they belong to.
func Related(unit object, policies, windows, requests []object) UnitView {
	view := UnitView{Unit: unit}
	unitName := name(unit)
	for _, p := range policies {
		if str(p, "spec", "databaseUnit") == unitName {
			view.Policies = append(view.Policies, p)
		}
	}
	for _, w := range windows {
		if windowTargets(w, unit) {
			view.Windows = append(view.Windows, w)
		}
	}
	for _, r := range requests {
		if str(r, "spec", "databaseUnit") == unitName {
			view.Requests = append(view.Requests, r)
		}
	}
	return view
}

func windowTargets(window, unit object) bool {
	if named := str(window, "spec", "databaseUnit"); named != "" {
		return named == name(unit)
	}
	raw := child(window, "spec", "selector")
	if raw == nil {
		return false
	}
	var selector metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &selector); err != nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(&selector)
	if err != nil {
		return false
	}
	unitLabels, _, _ := unstructured.NestedStringMap(unit, "metadata", "labels")
	return s.Matches(labels.Set(unitLabels))
}

// FormatStatus is the one screen of `status` for a unit: only what status carries, "unknown" for the rest.
func FormatStatus(v UnitView, now time.Time) string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		if label != "" {
			label += ":"
		}
		fmt.Fprintf(&b, "  %-15s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(&b, "DatabaseUnit %s (namespace %s)\n", name(v.Unit), str(v.Unit, "metadata", "namespace"))
	line("Ready", "%s", conditionText(v.Unit, "Ready"))
	if degraded := condition(v.Unit, "Degraded"); degraded != nil && str(degraded, "status") == "True" {
		line("Degraded", "%s", conditionText(v.Unit, "Degraded"))
	}
	if gen, seen := str(v.Unit, "metadata", "generation"), str(v.Unit, "status", "observedGeneration"); gen != seen {
		line("Note", "status describes generation %s, the spec is at %s: the operator has not caught up", orUnknown(seen), gen)
	}

	if pooler := child(v.Unit, "status", "pooler"); pooler != nil {
		size := str(pooler, "currentSize")
		line("Pool", "size %s, utilisation %s, %s clients waiting, average wait %s", orUnknown(size), ratio(pooler, "utilisation"),
			orUnknown(str(pooler, "clientsWaiting")), millis(pooler, "averageWaitMillis"))
		if reason := str(pooler, "lastScaleReason"); reason != "" {
			line("", "last scaled %s: %s", orUnknown(ago(str(pooler, "lastScaleTime"), now)), reason)
		}
	} else {
		line("Pool", "unknown (no pooler status)")
	}

	if cache := child(v.Unit, "status", "cache"); cache != nil {
		line("Cache", "hit ratio %s", ratio(cache, "hitRatio"))
		for _, inactive := range items(cache, "inactivePolicies") {
			line("", "inactive policy %s: %s", str(inactive, "dataType"), str(inactive, "message"))
		}
	} else {
		line("Cache", "unknown (no cache status)")
	}

	indexes := items(v.Unit, "status", "vectorIndexes")
	if len(indexes) == 0 {
		line("Vector indexes", "none in status")
	}
	for i, index := range indexes {
		label := ""
		if i == 0 {
			label = "Vector indexes"
		}
		text := fmt.Sprintf("%s %s, recall@10 %s, p95 %s", str(index, "name"), orUnknown(str(index, "state")),
			ratio(index, "recallAtK"), millis(index, "p95LatencyMillis"))
		if p, ok := number(index, "buildProgressPercent"); ok {
			text += fmt.Sprintf(", building %.0f%%", p)
		}
		line(label, "%s", text)
	}

	if len(v.Policies) == 0 {
		line("Backups", "no BackupPolicy names this unit")
		line("Restore tests", "no BackupPolicy names this unit")
	}
	for _, p := range v.Policies {
		line("Backups", "%s: %s", name(p), lastBackupText(p, now))
	}
	for _, p := range v.Policies {
		line("Restore tests", "%s: %s", name(p), lastRestoreTestText(p))
	}

	if len(v.Windows) == 0 {
		line("Next window", "no MaintenanceWindow targets this unit")
	}
	for _, w := range v.Windows {
		line("Next window", "%s: %s", name(w), nextWindowText(w, now))
	}

	var open []string
	for _, r := range v.Requests {
		if phase := str(r, "status", "phase"); phase != "Completed" && phase != "Failed" {
			open = append(open, fmt.Sprintf("%s (%s, %s)", name(r), str(r, "spec", "type"), orUnknown(phase)))
		}
	}
	sort.Strings(open)
	if len(open) == 0 {
		line("GDPR requests", "none open")
	} else {
		line("GDPR requests", "%d open: %s", len(open), strings.Join(open, ", "))
	}
	return b.String()
}

func conditionText(o object, conditionType string) string {
	c := condition(o, conditionType)
	if c == nil {
		return "unknown (no " + conditionType + " condition yet)"
	}
	text := str(c, "status")
	if reason := str(c, "reason"); reason != "" {
		text += " (" + reason + ")"
	}
	if message := str(c, "message"); message != "" {
		text += " " + message
	}
	return text
}

func lastBackupText(policy object, now time.Time) string {
	last := child(policy, "status", "lastBackup")
	text := "no backup yet"
	if last != nil {
		end := str(last, "endTime")
		text = fmt.Sprintf("last %s %s (%s)", str(last, "id"), orUnknown(end), orUnknown(ago(end, now)))
		if rpo, ok := parseAPIDuration(str(policy, "spec", "restoreTest", "rpo")); ok {
			if t, err := time.Parse(time.RFC3339, end); err == nil {
				verdict := "within"
				if now.Sub(t) > rpo {
					verdict = "OLDER than"
				}
				text += fmt.Sprintf(", %s RPO %s", verdict, str(policy, "spec", "restoreTest", "rpo"))
			}
		}
	}
	if str(policy, "spec", "suspend") == "true" {
		text += "; scheduling suspended"
	}
	return text
}

func lastRestoreTestText(policy object) string {
	last := child(policy, "status", "lastRestoreTest")
	if last == nil {
		return "no restore test yet"
	}
	text := fmt.Sprintf("%s %s of %s", orUnknown(str(last, "outcome")), orUnknown(str(last, "endTime")), orUnknown(str(last, "backupId")))
	if rto, ok := number(last, "recoveryTimeSeconds"); ok {
		text += fmt.Sprintf(", RTO %.1fs", rto)
		if met := str(last, "rtoMet"); met != "" {
			verdict := "within"
			if met != "true" {
				verdict = "OVER"
			}
			text += fmt.Sprintf(" (%s the objective %s)", verdict, orUnknown(str(policy, "spec", "restoreTest", "rto")))
		}
	} else {
		text += ", RTO unknown"
	}
	return text
}

func nextWindowText(window object, now time.Time) string {
	if str(window, "spec", "suspend") == "true" {
		return "paused (spec.suspend): no scheduled window starts"
	}
	if current := child(window, "status", "currentRun"); current != nil {
		return fmt.Sprintf("run %s underway, phase %s", str(current, "id"), orUnknown(str(window, "status", "phase")))
	}
	next := str(window, "status", "nextWindowStart")
	if next == "" {
		if str(window, "spec", "runNow") == "true" {
			return "runNow: no run pending"
		}
		return "unknown (no nextWindowStart in status)"
	}
	return fmt.Sprintf("%s (%s)", next, ago(next, now))
}
