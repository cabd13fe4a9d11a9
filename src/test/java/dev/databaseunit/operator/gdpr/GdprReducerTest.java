package dev.databaseunit.operator.gdpr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestStatus;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The status moves of a GdprRequest, as values: no API server, database or store. */
class GdprReducerTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00.400Z");
  private static final Instant STARTED = Instant.parse("2026-03-01T09:59:00Z");

  private static GdprRequestSpec spec(GdprRequestSpec.Type type, Boolean dryRun, String ttl) {
    return new GdprRequestSpec("recipes", type, "42", null, dryRun, ttl, "dpo@example.com", "ticket 7");
  }

  private static GdprRequestStatus running(GdprRequestSpec spec) {
    return GdprReducer.running(spec, GdprReducer.initial(), 1, STARTED);
  }

  private static GdprService.Erasure erasure(Map<String, Long> counts, boolean dryRun, boolean fits) {
    return new GdprService.Erasure("hash", counts, dryRun, fits, Map.of(), false);
  }

  private static String condition(GdprRequestStatus status, String type) {
    Condition c = Conditions.find(status.conditions(), type);
    return c.getStatus() + "/" + c.getReason();
  }

  @Test
  void aStartedRequestIsRunningAndProgressingAndKeepsItsFirstStartTime() {
    var spec = spec(GdprRequestSpec.Type.Erase, null, null);
    var status = running(spec);
    assertThat(status.phase()).isEqualTo("Running");
    assertThat(status.startTime()).isEqualTo("2026-03-01T09:59:00Z");
    assertThat(condition(status, Conditions.PROGRESSING)).isEqualTo("True/Running");
    assertThat(GdprReducer.running(spec, status, 1, NOW).startTime()).isEqualTo(status.startTime());
  }

  @Test
  void anErasureCompletesWithItsCountsLedgerEntryAndRowsForTheMetric() {
    var spec = spec(GdprRequestSpec.Type.Erase, null, null);
    var r = GdprReducer.completed(spec, "uid-1", running(spec),
        new GdprOutcome.Erased(erasure(Map.of("users", 1L, "recipes", 3L, "tags", 0L), false, true), 5), 1, NOW);
    assertThat(r.status().phase()).isEqualTo("Completed");
    assertThat(r.status().completionTime()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(r.status().startTime()).isEqualTo("2026-03-01T09:59:00Z");
    assertThat(r.status().subjectHash()).isEqualTo("hash");
    assertThat(r.status().erasure().ledgerEntry()).isEqualTo("uid-1");
    assertThat(r.status().erasure().cacheKeysInvalidated()).isEqualTo(5);
    assertThat(r.erasedRows()).isEqualTo(4);
    assertThat(r.recheck()).isEmpty();
    assertThat(r.event()).contains(new GdprReducer.Notice(EventRecorder.Type.Normal, EventReason.ErasureCompleted,
        "Erased 4 rows in 2 tables in one transaction; 5 cache keys removed"));
    assertThat(condition(r.status(), Conditions.READY)).isEqualTo("True/ErasureCompleted");
    assertThat(condition(r.status(), Conditions.PROGRESSING)).isEqualTo("False/Completed");
    assertThat(condition(r.status(), Conditions.DEGRADED)).isEqualTo("False/AsExpected");
  }

  @Test
  void aDryRunCountsWithoutLedgerEntryOrErasedRows() {
    var spec = spec(GdprRequestSpec.Type.Erase, true, null);
    var r = GdprReducer.completed(spec, "uid-1", running(spec), new GdprOutcome.Erased(erasure(Map.of("users", 1L), true, true), 0), 1, NOW);
    assertThat(r.reason()).isEqualTo(EventReason.ErasureDryRunCompleted);
    assertThat(r.event().orElseThrow().message()).isEqualTo("Dry run: an erasure would delete 1 rows in 1 tables");
    assertThat(r.status().erasure().ledgerEntry()).isNull();
    assertThat(r.erasedRows()).isZero();
  }

  @Test
  void aSubjectWithNoRowsIsReportedAsNotFoundWhetherItsIdFitsOrNot() {
    var spec = spec(GdprRequestSpec.Type.Erase, null, null);
    var fits = GdprReducer.completed(spec, "u", running(spec), new GdprOutcome.Erased(erasure(Map.of("users", 0L), false, true), 0), 1, NOW);
    var counted = GdprReducer.completed(spec, "u", running(spec), new GdprOutcome.Erased(erasure(Map.of(), true, true), 0), 1, NOW);
    var misfit = GdprReducer.completed(spec, "u", running(spec), new GdprOutcome.Erased(erasure(Map.of(), false, false), 0), 1, NOW);
    assertThat(List.of(fits, counted, misfit)).allSatisfy(r -> {
      assertThat(r.reason()).isEqualTo(EventReason.SubjectNotFound);
      assertThat(r.status().erasure().ledgerEntry()).isNull();
      assertThat(r.erasedRows()).isZero();
    });
    assertThat(fits.event().orElseThrow().message()).endsWith("nothing was erased");
    assertThat(counted.event().orElseThrow().message()).endsWith("nothing was counted");
    assertThat(misfit.event().orElseThrow().message()).startsWith("The subject id is not a value of the subject columns' type");
  }

  @Test
  void anExportExpiresAfterItsTtlOrSevenDaysAndTheReconcileLooksAgainThen() {
    var export = new GdprService.Export("hash", "s3://b/k.json", "abc", 120, Map.of("users", 1L, "recipes", 2L), false);
    var ttl = spec(GdprRequestSpec.Type.Export, null, "1h");
    var r = GdprReducer.completed(ttl, "u", running(ttl), new GdprOutcome.Exported(export), 1, NOW);
    assertThat(r.status().export().expiresAt()).isEqualTo("2026-03-01T11:00:00Z");
    assertThat(r.status().export().expired()).isFalse();
    assertThat(r.recheck()).contains(Duration.ofHours(1).minusMillis(400));
    assertThat(r.event().orElseThrow().message())
        .isEqualTo("Exported 3 rows (120 bytes, sha256 abc) to s3://b/k.json; deleted at 2026-03-01T11:00:00Z");
    var byDefault = spec(GdprRequestSpec.Type.Export, null, null);
    assertThat(GdprReducer.completed(byDefault, "u", running(byDefault), new GdprOutcome.Exported(export), 1, NOW)
        .status().export().expiresAt()).isEqualTo("2026-03-08T10:00:00Z");
    var empty = new GdprService.Export("hash", "s3://b/k.json", "abc", 2, Map.of("users", 0L), false);
    var none = GdprReducer.completed(ttl, "u", running(ttl), new GdprOutcome.Exported(empty), 1, NOW);
    assertThat(none.reason()).isEqualTo(EventReason.SubjectNotFound);
    assertThat(none.event().orElseThrow().message()).isEqualTo("No subject table holds a row of this subject; the export is empty");
  }

  @Test
  void aFailureIsNotACompletion() {
    var spec = spec(GdprRequestSpec.Type.Erase, null, null);
    var failed = new GdprOutcome.Failed(new UnitProblem(EventReason.GdprRequestRetrying, "x"));
    assertThatThrownBy(() -> GdprReducer.completed(spec, "u", running(spec), failed, 1, NOW)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aProblemDegradesInThePhaseItFoundAndWarnsOnlyWhenItsReasonChanges() {
    var spec = spec(GdprRequestSpec.Type.Erase, null, null);
    var first = GdprReducer.degraded(running(spec), new UnitProblem(EventReason.DatabaseUnreachable, "down"), 1, NOW);
    assertThat(first.status().phase()).isEqualTo("Running");
    assertThat(first.event()).contains(new GdprReducer.Notice(EventRecorder.Type.Warning, EventReason.DatabaseUnreachable, "down"));
    assertThat(condition(first.status(), Conditions.DEGRADED)).isEqualTo("True/DatabaseUnreachable");
    assertThat(condition(first.status(), Conditions.READY)).isEqualTo("False/DatabaseUnreachable");
    assertThat(condition(first.status(), Conditions.PROGRESSING)).isEqualTo("False/Retrying");
    var again = GdprReducer.degraded(first.status(), new UnitProblem(EventReason.DatabaseUnreachable, "still down"), 1, NOW);
    assertThat(again.event()).isEmpty();
    var other = GdprReducer.degraded(again.status(), new UnitProblem(EventReason.GdprRequestRetrying, "rolled back"), 1, NOW);
    assertThat(other.event().orElseThrow().reason()).isEqualTo(EventReason.GdprRequestRetrying);
  }

  @Test
  void aProblemAfterCompletionLeavesTheRequestReady() {
    var spec = spec(GdprRequestSpec.Type.Export, null, "1h");
    var export = new GdprService.Export("hash", "s3://b/k.json", "abc", 120, Map.of("users", 1L), false);
    var done = GdprReducer.completed(spec, "u", running(spec), new GdprOutcome.Exported(export), 1, NOW).status();
    var r = GdprReducer.degraded(done, new UnitProblem(EventReason.ExportStorageFailed, "store down"), 1, NOW);
    assertThat(r.status().phase()).isEqualTo("Completed");
    assertThat(condition(r.status(), Conditions.READY)).isEqualTo("True/ExportCompleted");
    assertThat(condition(r.status(), Conditions.DEGRADED)).isEqualTo("True/ExportStorageFailed");
    assertThat(r.status().export()).isEqualTo(done.export());
  }

  @Test
  void anExportIsDueForDeletionAtItsExpiryAndThenMarkedExpired() {
    var spec = spec(GdprRequestSpec.Type.Export, null, "1h");
    var export = new GdprService.Export("hash", "s3://b/k.json", "abc", 120, Map.of("users", 1L), false);
    var done = GdprReducer.completed(spec, "u", running(spec), new GdprOutcome.Exported(export), 1, NOW).status();
    Instant expiry = Instant.parse("2026-03-01T11:00:00Z");
    assertThat(GdprReducer.untilExpiry(done, expiry.minusSeconds(5))).contains(Duration.ofSeconds(5));
    assertThat(GdprReducer.untilExpiry(done, expiry)).contains(Duration.ZERO);
    var r = GdprReducer.expired(GdprReducer.degraded(done, new UnitProblem(EventReason.ExportStorageFailed, "x"), 1, expiry).status(),
        1, expiry);
    assertThat(r.status().export().expired()).isTrue();
    assertThat(condition(r.status(), Conditions.DEGRADED)).isEqualTo("False/AsExpected");
    assertThat(r.event()).contains(new GdprReducer.Notice(EventRecorder.Type.Normal, EventReason.ExportExpired,
        "Export s3://b/k.json deleted at its expiry 2026-03-01T11:00:00Z"));
    assertThat(GdprReducer.untilExpiry(r.status(), expiry)).isEmpty();
    var erased = GdprReducer.completed(spec(GdprRequestSpec.Type.Erase, null, null), "u", running(spec),
        new GdprOutcome.Erased(erasure(Map.of("users", 1L), false, true), 0), 1, NOW).status();
    assertThat(GdprReducer.untilExpiry(erased, NOW)).isEmpty();
  }
}
