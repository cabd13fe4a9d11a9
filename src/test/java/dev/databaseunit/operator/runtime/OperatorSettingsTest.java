package dev.databaseunit.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorSettingsTest {

  @Test
  void defaultsWatchAllNamespacesWithLeaderElection() {
    var settings = OperatorSettings.fromEnvironment(Map.of());
    assertThat(settings).usingRecursiveComparison().ignoringFields("leaderIdentity")
        .isEqualTo(new OperatorSettings(Set.of(), true, null, 8080, true));
    assertThat(settings.leaderIdentity()).isNotBlank();
  }

  @Test
  void everyInstanceWithoutAPodNameHasItsOwnLeaderIdentity() {
    assertThat(OperatorSettings.fromEnvironment(Map.of()).leaderIdentity())
        .isNotEqualTo(OperatorSettings.fromEnvironment(Map.of()).leaderIdentity());
  }

  @Test
  void readsTheEnvironment() {
    var settings = OperatorSettings.fromEnvironment(Map.of(
        "WATCH_NAMESPACES", " team-a, team-b ,,", "LEADER_ELECTION", "FALSE", "OPERATOR_NAMESPACE", "ops", "MANAGEMENT_PORT", "9090",
        "POD_NAME", "operator-7d9f-x2"));
    assertThat(settings).isEqualTo(new OperatorSettings(Set.of("team-a", "team-b"), false, "ops", 9090, true, "operator-7d9f-x2"));
  }

  @Test
  void rejectsABadPort() {
    assertThatThrownBy(() -> OperatorSettings.fromEnvironment(Map.of("MANAGEMENT_PORT", "70000")))
        .hasMessageContaining("MANAGEMENT_PORT");
  }

  @Test
  void readsTheAdminsEgressRulesFromTheChartsEnvironment() {
    var egress = OperatorSettings.fromEnvironment(Map.of("ALLOW_PLAINTEXT_CREDENTIALS", "true",
        "ALLOWED_DATABASE_HOSTS", "db.internal, *.rds.amazonaws.com", "ALLOWED_S3_ENDPOINTS", "minio.storage.svc",
        "ALLOWED_SCRATCH_INSTANCES", "scratch.internal")).egress();
    assertThat(egress).isEqualTo(new dev.databaseunit.operator.common.EgressPolicy(true, true,
        java.util.List.of("db.internal", "*.rds.amazonaws.com"), java.util.List.of("minio.storage.svc"),
        java.util.List.of("scratch.internal")));
    assertThat(OperatorSettings.fromEnvironment(Map.of()).egress()).isEqualTo(dev.databaseunit.operator.common.EgressPolicy.DEFAULT);
  }

  @Test
  void databaseTimeoutsArePerPurposeWithDefaultsAndClearErrors() {
    var timeouts = OperatorSettings.fromEnvironment(Map.of("DATABASE_TIMEOUTS", "connect=3s, metrics.statement=5s,backup.lock=1m"))
        .databaseTimeouts();
    var metrics = timeouts.of(dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.METRICS);
    assertThat(timeouts.connect()).isEqualTo(java.time.Duration.ofSeconds(3));
    assertThat(metrics.statement()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(metrics.lock()).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(metrics.socket()).isEqualTo(java.time.Duration.ofSeconds(35));
    assertThat(timeouts.of(dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.BACKUP).lock())
        .isEqualTo(java.time.Duration.ofMinutes(1));
    assertThat(timeouts.of(dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.VECTOR_INDEXES).statement())
        .isEqualTo(java.time.Duration.ofHours(12));
    assertThatThrownBy(() -> OperatorSettings.fromEnvironment(Map.of("DATABASE_TIMEOUTS", "vector.statement=1h")))
        .hasMessageContaining("names no purpose");
    assertThatThrownBy(() -> OperatorSettings.fromEnvironment(Map.of("DATABASE_TIMEOUTS", "metrics.statement=soon")))
        .hasMessageContaining("not a duration");
  }
}
