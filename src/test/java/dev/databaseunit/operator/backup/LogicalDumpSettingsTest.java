package dev.databaseunit.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.LogicalDump;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How spec.logicalDump turns into pg_dump options and a restore session's settings. */
class LogicalDumpSettingsTest {
  @Test
  void pgDumpCompressesOnlyUnderGzipSinceZstdIsAppliedToItsStream() {
    assertThat(PostgresTools.dumpCompression(Compression.GZIP)).isEmpty();
    assertThat(PostgresTools.dumpCompression(Compression.ZSTD)).containsExactly("--compress=0");
    assertThat(PostgresTools.dumpCompression(Compression.NONE)).containsExactly("--compress=0");
  }

  @Test
  void theRestoreSessionSetsMemoryAndParallelWorkersThroughPgoptions() {
    assertThat(new PostgresTools.RestoreSession(2048, 4).environment())
        .isEqualTo(Map.of("PGOPTIONS", "-c maintenance_work_mem=2048MB -c max_parallel_maintenance_workers=3"));
    assertThat(new PostgresTools.RestoreSession(64, 1).environment())
        .isEqualTo(Map.of("PGOPTIONS", "-c maintenance_work_mem=64MB -c max_parallel_maintenance_workers=0"));
    assertThat(PostgresTools.RestoreSession.of(new LogicalDump(null, 3, 512))).isEqualTo(new PostgresTools.RestoreSession(512, 3));
  }

  /** A policy whose field is absent (an object stored before the field existed) gets what the CRD would default. */
  @Test
  void absentSettingsAreTheCrdsDefaults() throws Exception {
    JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(Path.of("crds", "backuppolicies.databaseunit.dev-v1.yml").toFile());
    JsonNode dump = crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/logicalDump/properties");
    var defaults = PostgresTools.RestoreSession.of(null);
    assertThat(List.of(defaults.jobs(), defaults.maintenanceWorkMemMiB()))
        .isEqualTo(List.of(dump.at("/jobs/default").asInt(), dump.at("/restoreMemoryMiB/default").asInt()));
    assertThat(PostgresTools.RestoreSession.of(new LogicalDump(null, null, null))).isEqualTo(defaults);
    assertThat(BackupWork.compression(null).name().toLowerCase()).isEqualTo(dump.at("/compression/default").asText());
    assertThat(BackupWork.compression(new LogicalDump(Compression.GZIP, null, null))).isEqualTo(Compression.GZIP);
  }
}
