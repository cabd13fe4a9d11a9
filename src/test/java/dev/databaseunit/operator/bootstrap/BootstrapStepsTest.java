package dev.databaseunit.operator.bootstrap;

import dev.databaseunit.operator.backup.BackupManifest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.BootstrapStatus;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestStatus;
import dev.databaseunit.operator.bootstrap.BootstrapSteps.Step;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BootstrapStepsTest {
  private static final Instant T0 = Instant.parse("2026-11-01T03:00:00Z");

  @Test
  void aDatabaseWithTablesIsNeverRestoredIntoUnlessOurOwnRestoreCommitted() {
    assertThat(BootstrapSteps.next(null, true)).isEqualTo(Step.CHOOSE_BACKUP);
    assertThat(BootstrapSteps.next(null, false)).isEqualTo(Step.REFUSE);
    assertThat(BootstrapSteps.next(status(BootstrapSteps.FAILED), true)).isEqualTo(Step.CHOOSE_BACKUP);
    assertThat(BootstrapSteps.next(status(BootstrapSteps.FAILED), false)).isEqualTo(Step.REFUSE);
    // Restoring recorded, then tables found: the single-transaction restore committed before a restart.
    assertThat(BootstrapSteps.next(status(BootstrapSteps.RESTORING), false)).isEqualTo(Step.REAPPLY_ERASURES);
    assertThat(BootstrapSteps.next(status(BootstrapSteps.RESTORING), true)).isEqualTo(Step.RESTORE);
    assertThat(BootstrapSteps.next(status(BootstrapSteps.REAPPLYING), false)).isEqualTo(Step.REAPPLY_ERASURES);
    assertThat(BootstrapSteps.next(status(BootstrapSteps.REAPPLYING), true)).isEqualTo(Step.RESTORE);
    assertThat(BootstrapSteps.next(status(BootstrapSteps.COMPLETED), false)).isEqualTo(Step.NOTHING);
    assertThat(BootstrapSteps.next(status(BootstrapSteps.COMPLETED), true)).as("Completed is never redone").isEqualTo(Step.NOTHING);
  }

  @Test
  void theNamedBackupOrTheNewestIsChosenAndOnlyANewerOneSuppliesALedger() {
    var random = new Random(7);
    for (int round = 0; round < 200; round++) {
      List<BackupManifest> good = new ArrayList<>();
      int n = 1 + random.nextInt(10);
      for (int i = 0; i < n; i++) {
        good.add(manifest("daily-" + i, T0.plusSeconds(3600L * i)));
      }
      Collections.shuffle(good, random);
      var newest = good.stream().filter(m -> m.backupId().equals("daily-" + (n - 1))).findFirst().orElseThrow();
      assertThat(BootstrapSteps.choose(good, null)).contains(newest);
      assertThat(BootstrapSteps.choose(good, "")).contains(newest);
      String named = "daily-" + random.nextInt(n);
      var chosen = BootstrapSteps.choose(good, named).orElseThrow();
      assertThat(chosen.backupId()).isEqualTo(named);
      assertThat(BootstrapSteps.choose(good, "daily-" + n)).isEmpty();
      if (chosen == newest) {
        assertThat(BootstrapSteps.newerLedgerSource(good, chosen)).isEmpty();
      } else {
        assertThat(BootstrapSteps.newerLedgerSource(good, chosen)).contains(newest);
      }
    }
  }

  @Test
  void onlyCompletedRealErasuresOfTheUnitOrTheBackupsSourceAreReappliedOldestFirst() {
    var later = request("b-later", "new-unit", GdprRequestSpec.Type.Erase, false, "Completed", "2026-11-02T00:00:00Z");
    var earlier = request("a-earlier", "old-unit", GdprRequestSpec.Type.Erase, false, "Completed", "2026-11-01T00:00:00Z");
    var requests = List.of(later, earlier,
        request("dry", "new-unit", GdprRequestSpec.Type.Erase, true, "Completed", "2026-11-01T00:00:00Z"),
        request("export", "new-unit", GdprRequestSpec.Type.Export, false, "Completed", "2026-11-01T00:00:00Z"),
        request("running", "new-unit", GdprRequestSpec.Type.Erase, false, "Running", "2026-11-01T00:00:00Z"),
        request("other", "other-unit", GdprRequestSpec.Type.Erase, false, "Completed", "2026-11-01T00:00:00Z"));
    var units = BootstrapSteps.unitsOf("ns", "new-unit", withUnit("daily-1", T0, "ns/old-unit"));
    assertThat(units).containsExactlyInAnyOrder("new-unit", "old-unit");
    assertThat(BootstrapSteps.erasuresToReapply(requests, units)).containsExactly(earlier, later);
    assertThat(BootstrapSteps.unitsOf("ns", "new-unit", withUnit("daily-1", T0, "elsewhere/old-unit")))
        .containsExactly("new-unit");
    assertThat(BootstrapSteps.unitsOf("ns", "same", withUnit("daily-1", T0, "ns/same"))).containsExactly("same");
    assertThat(BootstrapSteps.erasuresToReapply(requests, Set.of("nobody"))).isEmpty();
  }

  private static BootstrapStatus status(String phase) {
    return new BootstrapStatus("daily-1", phase, T0.toString(), null, null, "m");
  }

  private static BackupManifest manifest(String id, Instant end) {
    return withUnit(id, end, "ns/unit");
  }

  private static BackupManifest withUnit(String id, Instant end, String unit) {
    return new BackupManifest(1, id, Tier.DAILY, unit, end.minusSeconds(60), end, "app", "15", null,
        id + "/backup.dump.enc", "pg_dump", 1, 1, "00", null, List.of(), null);
  }

  private static GdprRequest request(String name, String unit, GdprRequestSpec.Type type, boolean dryRun, String phase,
      String created) {
    var r = new GdprRequest();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withCreationTimestamp(created).build());
    r.setSpec(new GdprRequestSpec(unit, type, "42", null, dryRun, null, "dpo", null));
    r.setStatus(new GdprRequestStatus(1L, List.of(), phase, null, null, null, null, null));
    return r;
  }
}
