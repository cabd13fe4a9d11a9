package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

func parse(t *testing.T, text string) object {
	t.Helper()
	var o object
	if err := json.Unmarshal([]byte(text), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestAPIDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"1500ms": 1500 * time.Millisecond, "300s": 300 * time.Second, "5m": 5 * time.Minute,
		"2h": 2 * time.Hour, "30d": 30 * 24 * time.Hour, "12w": 12 * 7 * 24 * time.Hour} {
		if got, ok := parseAPIDuration(in); !ok || got != want {
			t.Errorf("%s: got %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "1y", "h", "1.5h", "-1h", "1h30m"} {
		if _, ok := parseAPIDuration(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHumanDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 59 * time.Second: "59s", 61 * time.Second: "1m01s", 59*time.Minute + 59*time.Second: "59m59s",
		time.Hour: "1h00m", 47*time.Hour + 5*time.Minute: "47h05m", 48 * time.Hour: "2d0h", 100 * time.Hour: "4d4h", -90 * time.Second: "1m30s"} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %s, want %s", d, got, want)
		}
	}
	if got := ago("2026-12-02T05:57:00Z", now); got != "3m00s ago" {
		t.Error(got)
	}
	if got := ago("2026-12-02T08:00:00Z", now); got != "in 2h00m" {
		t.Error(got)
	}
	if got := ago("yesterday", now); got != "" {
		t.Error(got)
	}
}

const readyUnit = `{"metadata":{"name":"shop","namespace":"prod","generation":3,"labels":{"tier":"gold"}},
 "status":{"observedGeneration":3,
  "conditions":[{"type":"Ready","status":"True","reason":"Reconciled","message":"all capabilities healthy"},
                {"type":"Degraded","status":"False","reason":"Healthy"}],
  "pooler":{"currentSize":20,"utilisation":0.4213,"clientsWaiting":0,"averageWaitMillis":1.25,
            "lastScaleTime":"2026-12-02T05:00:00Z","lastScaleReason":"utilisation 0.86 over 60s"},
  "cache":{"hitRatio":0.9312,"inactivePolicies":[{"dataType":"user_profile","reason":"SourceTableMissing","message":"source table 'users' does not exist"}]},
  "vectorIndexes":[{"name":"recipes_embedding_hnsw","state":"Ready","recallAtK":0.981,"p95LatencyMillis":3.14},
                   {"name":"notes_hnsw","state":"Building","buildProgressPercent":40}]}}`

func TestStatusOfAReadyUnitShowsEveryFieldStatusCarries(t *testing.T) {
	unit := parse(t, readyUnit)
	policy := parse(t, `{"metadata":{"name":"shop-backups"},"spec":{"databaseUnit":"shop","restoreTest":{"rpo":"24h","rto":"1h"}},
	  "status":{"lastBackup":{"id":"b-1","endTime":"2026-12-02T05:50:00Z"},
	            "lastRestoreTest":{"outcome":"Passed","endTime":"2026-12-02T05:55:00Z","backupId":"b-1","recoveryTimeSeconds":12.34,"rtoMet":true}}}`)
	other := parse(t, `{"metadata":{"name":"other-backups"},"spec":{"databaseUnit":"other"}}`)
	byName := parse(t, `{"metadata":{"name":"weekly"},"spec":{"databaseUnit":"shop"},"status":{"nextWindowStart":"2026-12-06T02:00:00Z"}}`)
	bySelector := parse(t, `{"metadata":{"name":"gold"},"spec":{"selector":{"matchLabels":{"tier":"gold"}},"suspend":true}}`)
	notMine := parse(t, `{"metadata":{"name":"silver"},"spec":{"selector":{"matchLabels":{"tier":"silver"}}}}`)
	open := parse(t, `{"metadata":{"name":"export-shop-x"},"spec":{"databaseUnit":"shop","type":"Export"},"status":{"phase":"Running"}}`)
	done := parse(t, `{"metadata":{"name":"erase-shop-y"},"spec":{"databaseUnit":"shop","type":"Erase"},"status":{"phase":"Completed"}}`)

	got := FormatStatus(Related(unit, []object{policy, other}, []object{byName, bySelector, notMine}, []object{open, done}), now)
	want := `DatabaseUnit shop (namespace prod)
  Ready:          True (Reconciled) all capabilities healthy
  Pool:           size 20, utilisation 0.42, 0 clients waiting, average wait 1.2 ms
                  last scaled 1h00m ago: utilisation 0.86 over 60s
  Cache:          hit ratio 0.93
                  inactive policy user_profile: source table 'users' does not exist
  Vector indexes: recipes_embedding_hnsw Ready, recall@10 0.98, p95 3.1 ms
                  notes_hnsw Building, recall@10 unknown, p95 unknown, building 40%
  Backups:        shop-backups: last b-1 2026-12-02T05:50:00Z (10m00s ago), within RPO 24h
  Restore tests:  shop-backups: Passed 2026-12-02T05:55:00Z of b-1, RTO 12.3s (within the objective 1h)
  Next window:    weekly: 2026-12-06T02:00:00Z (in 3d20h)
  Next window:    gold: paused (spec.suspend): no scheduled window starts
  GDPR requests:  1 open: export-shop-x (Export, Running)
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStatusSaysUnknownForWhatStatusDoesNotCarry(t *testing.T) {
	unit := parse(t, `{"metadata":{"name":"new","namespace":"dev","generation":2},"status":{"observedGeneration":1,
	  "conditions":[{"type":"Ready","status":"False","reason":"SecretNotFound","message":"Secret db not found"},
	                {"type":"Degraded","status":"True","reason":"SecretNotFound","message":"Secret db not found"}]}}`)
	late := parse(t, `{"metadata":{"name":"p"},"spec":{"databaseUnit":"new","restoreTest":{"rpo":"1h"},"suspend":true},
	  "status":{"lastBackup":{"id":"b-0","endTime":"2026-12-01T06:00:00Z"},"lastRestoreTest":{"outcome":"Failed","endTime":"2026-12-01T07:00:00Z","backupId":"b-0"}}}`)
	got := FormatStatus(Related(unit, []object{late}, nil, nil), now)
	for _, line := range []string{
		"Ready:          False (SecretNotFound) Secret db not found",
		"Degraded:       True (SecretNotFound) Secret db not found",
		"Note:           status describes generation 1, the spec is at 2: the operator has not caught up",
		"Pool:           unknown (no pooler status)",
		"Cache:          unknown (no cache status)",
		"Vector indexes: none in status",
		"Backups:        p: last b-0 2026-12-01T06:00:00Z (24h00m ago), OLDER than RPO 1h; scheduling suspended",
		"Restore tests:  p: Failed 2026-12-01T07:00:00Z of b-0, RTO unknown",
		"Next window:    no MaintenanceWindow targets this unit",
		"GDPR requests:  none open",
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("missing %q in\n%s", line, got)
		}
	}
	bare := FormatStatus(Related(parse(t, `{"metadata":{"name":"x","generation":1}}`), nil, nil, nil), now)
	for _, line := range []string{"Ready:          unknown (no Ready condition yet)", "Backups:        no BackupPolicy names this unit",
		"Restore tests:  no BackupPolicy names this unit"} {
		if !strings.Contains(bare, line+"\n") {
			t.Errorf("missing %q in\n%s", line, bare)
		}
	}
}

func TestNextWindowWhileRunningOrRunNow(t *testing.T) {
	running := parse(t, `{"spec":{},"status":{"phase":"Draining","currentRun":{"id":"w-shop-1"}}}`)
	if got := nextWindowText(running, now); got != "run w-shop-1 underway, phase Draining" {
		t.Error(got)
	}
	if got := nextWindowText(parse(t, `{"spec":{"runNow":true},"status":{}}`), now); got != "runNow: no run pending" {
		t.Error(got)
	}
	if got := nextWindowText(parse(t, `{"spec":{}}`), now); got != "unknown (no nextWindowStart in status)" {
		t.Error(got)
	}
}

func TestRestoreTestOverItsObjective(t *testing.T) {
	p := parse(t, `{"spec":{"restoreTest":{"rto":"1m"}},"status":{"lastRestoreTest":{"outcome":"Passed","endTime":"t","backupId":"b","recoveryTimeSeconds":75,"rtoMet":false}}}`)
	if got := lastRestoreTestText(p); got != "Passed t of b, RTO 75.0s (OVER the objective 1m)" {
		t.Error(got)
	}
}

func TestGdprResults(t *testing.T) {
	export := parse(t, `{"status":{"phase":"Completed","export":{"location":"s3://b/gdpr/x.json","sha256":"ab","sizeBytes":120,
	  "expiresAt":"2026-12-09T06:00:00Z","rowCounts":{"users":1,"recipes":3}}}}`)
	if got := FormatGdprResult(export); got != "export written to s3://b/gdpr/x.json\n  sha256 ab, 120 bytes, deleted at 2026-12-09T06:00:00Z\n  rows: recipes=3 users=1\n" {
		t.Errorf("%q", got)
	}
	erase := parse(t, `{"status":{"erasure":{"deletedRows":{"users":1},"dryRun":true,"cacheKeysInvalidated":2}}}`)
	if got := FormatGdprResult(erase); got != "erasure would delete (dry run, nothing deleted): users=1\n  cache keys removed: 2\n" {
		t.Errorf("%q", got)
	}
}

func TestFormatRun(t *testing.T) {
	run := parse(t, `{"id":"w-1","unit":"shop","outcome":"Succeeded","drainSeconds":0.0123,
	  "tasks":[{"task":"UpdateStatistics","state":"Succeeded","durationSeconds":0.5,"message":"analyzed 3 tables"}]}`)
	want := "run w-1 of shop: Succeeded, drained in 0.012s\n  UpdateStatistics   Succeeded    0.50s  analyzed 3 tables\n"
	if got := FormatRun(run); got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestNotFoundNamesTheMissingAndTheExisting(t *testing.T) {
	if got := NotFoundMessage("DatabaseUnit", "shp", "prod", []string{"shop", "blog"}); got != `DatabaseUnit "shp" not found in namespace prod; existing: shop, blog` {
		t.Error(got)
	}
	if got := NotFoundMessage("BackupPolicy", "b", "dev", nil); !strings.Contains(got, "there is none in this namespace") {
		t.Error(got)
	}
}

func TestRedactDropsPersonalDataAndTheAppliedCopy(t *testing.T) {
	r := parse(t, `{"kind":"GdprRequest","metadata":{"name":"e","managedFields":[{}],"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"subjectId\":\"42\"}","keep":"me"}},
	  "spec":{"subjectId":"42","type":"Erase"}}`)
	out, _ := json.Marshal(Redact(r))
	if strings.Contains(string(out), "42") || strings.Contains(string(out), "managedFields") || !strings.Contains(string(out), `"keep":"me"`) {
		t.Error(string(out))
	}
}

func TestNoChangeToAWindowDuringARun(t *testing.T) {
	running := parse(t, `{"metadata":{"name":"weekly"},"status":{"phase":"Draining","currentRun":{"id":"weekly-shop-1"}}}`)
	if err := runUnderway(running); err == nil || err.Error() != "MaintenanceWindow weekly has run weekly-shop-1 underway (phase Draining): change it after the run ends" {
		t.Error(err)
	}
	if err := runUnderway(parse(t, `{"metadata":{"name":"weekly"},"status":{"phase":"Idle"}}`)); err != nil {
		t.Error(err)
	}
}
