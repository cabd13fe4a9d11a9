package dev.databaseunit.operator.schema;

import dev.databaseunit.operator.common.DesiredObjects;
import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.testing.MutableClock;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The capability's decisions with a recording migrator: what reaches Flyway, when, and what the status says. */
class SchemaMigrationsTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final RecordingMigrator migrator = new RecordingMigrator();
  // No Event is written in these tests (the fake applies nothing), so the recorder needs no client.
  private final SchemaMigrations capability = new SchemaMigrations(migrator, new EventRecorder(null, clock), clock);
  // Window mode records an Event; this client reaches no API server, and a failed Event never fails a reconcile.
  private final SchemaMigrations windowCapability = new SchemaMigrations(migrator,
      new EventRecorder(new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:1")
          .withRequestRetryBackoffLimit(0).build()).build(), clock), clock);
  private final Map<String, ConfigMap> configMaps = new HashMap<>();
  private final DatabaseUnit unit = unit("[schema]");

  @Test
  void aCurrentSchemaIsNotAskedAgainUntilTheRecheckIsDue() {
    configMap("schema", Map.of("V1__init.sql", "CREATE TABLE a (id int);"));
    migrator.answer = new SchemaMigrator.SchemaState("1", 0, List.of());
    for (int i = 0; i < 3; i++) {
      var outcome = capability.reconcile(context(), status());
      assertThat(outcome.problem()).isEmpty();
      assertThat(outcome.status().database().schemaVersion()).isEqualTo("1");
      assertThat(outcome.status().database().pendingMigrations()).isZero();
    }
    assertThat(migrator.calls).hasSize(1);

    clock.advance(SchemaMigrations.RECHECK.minusSeconds(1));
    capability.reconcile(context(), status());
    assertThat(migrator.calls).hasSize(1);
    clock.advance(Duration.ofSeconds(1));
    capability.reconcile(context(), status());
    assertThat(migrator.calls).hasSize(2);
  }

  @Test
  void aChangedScriptOrSchemaIsTakenAtOnce() {
    configMap("schema", Map.of("V1__init.sql", "CREATE TABLE a (id int);"));
    migrator.answer = new SchemaMigrator.SchemaState("1", 0, List.of());
    capability.reconcile(context(), status());
    configMap("schema", Map.of("V1__init.sql", "CREATE TABLE a (id int);", "V2__b.sql", "CREATE TABLE b (id int);"));
    capability.reconcile(context(), status());
    assertThat(migrator.calls).hasSize(2);
    assertThat(migrator.calls.get(1)).containsOnlyKeys("V1__init.sql", "V2__b.sql");
  }

  @Test
  void aFailureIsReportedWithWhereTheSchemaStaysAndIsTriedAgainNextTime() {
    configMap("schema", Map.of("V1__init.sql", "x", "V2__broken.sql", "y"));
    migrator.failure = new SchemaMigrator.MigrationFailure(SchemaMigrator.MigrationFailure.Kind.FAILED,
        "Migration V2__broken.sql failed at line 1: ERROR: boom (SQL state XX000)", new SchemaMigrator.SchemaState("1", 1, List.of()), null);
    var outcome = capability.reconcile(context(), status());
    assertThat(outcome.problem()).hasValueSatisfying(p -> {
      assertThat(p.reason()).isEqualTo(EventReason.MigrationFailed);
      assertThat(p.getMessage()).isEqualTo("Migration V2__broken.sql failed at line 1: ERROR: boom (SQL state XX000); "
          + "schema app stays at version 1");
    });
    assertThat(outcome.status().database().schemaVersion()).isEqualTo("1");
    assertThat(outcome.status().database().pendingMigrations()).isEqualTo(1);
    capability.reconcile(context(), status());
    assertThat(migrator.calls).hasSize(2);
  }

  @Test
  void aValidationFailureHasItsOwnReason() {
    configMap("schema", Map.of("V1__init.sql", "edited"));
    migrator.failure = new SchemaMigrator.MigrationFailure(SchemaMigrator.MigrationFailure.Kind.INVALID,
        "Migration checksum mismatch for migration version 1", new SchemaMigrator.SchemaState(null, 0, List.of()), null);
    var outcome = capability.reconcile(context(), status());
    assertThat(outcome.problem()).hasValueSatisfying(p -> {
      assertThat(p.reason()).isEqualTo(EventReason.MigrationValidationFailed);
      assertThat(p.getMessage()).endsWith("; schema app stays at no applied version");
    });
  }

  @Test
  void aMisnamedKeyOrAMissingConfigMapNeverReachesFlyway() {
    configMap("schema", Map.of("init.sql", "CREATE TABLE a (id int);"));
    assertThat(capability.reconcile(context(), status()).problem())
        .hasValueSatisfying(p -> assertThat(p.reason()).isEqualTo(EventReason.MigrationInvalid));
    configMaps.clear();
    assertThat(capability.reconcile(context(), status()).problem())
        .hasValueSatisfying(p -> assertThat(p.reason()).isEqualTo(EventReason.ConfigMapNotFound));
    assertThat(migrator.calls).isEmpty();
  }

  @Test
  void reconcileModeMigratesEachInItsOwnTransaction() {
    configMap("schema", Map.of("V1__init.sql", "CREATE TABLE a (id int);"));
    migrator.answer = new SchemaMigrator.SchemaState("1", 0, List.of());
    capability.reconcile(context(), status());
    assertThat(migrator.kinds).containsExactly("migrate EACH");
  }

  @Test
  void inWindowModePendingMigrationsAreReportedNeverAppliedAndLookedAtAgainSoon() {
    var windowed = unit("[schema]", "MaintenanceWindow");
    configMap("schema", Map.of("V1__init.sql", "CREATE TABLE a (id int);", "V2__b.sql", "CREATE TABLE b (id int);"));
    migrator.answer = new SchemaMigrator.SchemaState("1", 1, List.of());
    var outcome = windowed(windowed);
    assertThat(outcome.problem()).isEmpty();
    assertThat(outcome.progressing()).as("waiting for a window is the normal state, the unit stays Ready").isEmpty();
    assertThat(outcome.recheckAfter()).contains(SchemaMigrations.PENDING_RECHECK);
    assertThat(outcome.status().database().schemaVersion()).isEqualTo("1");
    assertThat(outcome.status().database().pendingMigrations()).isEqualTo(1);

    // Not cached while pending: the next reconcile sees what a window applied.
    migrator.answer = new SchemaMigrator.SchemaState("2", 0, List.of());
    assertThat(windowed(windowed).status().database().pendingMigrations()).isZero();
    // Once current it is cached like in Reconcile mode.
    windowed(windowed);
    assertThat(migrator.kinds).containsExactly("inspect", "inspect");
  }

  @Test
  void inWindowModeAnEditedAppliedScriptStillDegrades() {
    configMap("schema", Map.of("V1__init.sql", "edited"));
    migrator.failure = new SchemaMigrator.MigrationFailure(SchemaMigrator.MigrationFailure.Kind.INVALID,
        "Migration checksum mismatch for migration version 1", new SchemaMigrator.SchemaState("1", 0, List.of()), null);
    var outcome = windowed(unit("[schema]", "MaintenanceWindow"));
    assertThat(outcome.problem()).hasValueSatisfying(p -> assertThat(p.reason()).isEqualTo(EventReason.MigrationValidationFailed));
    assertThat(migrator.kinds).containsExactly("inspect");
  }

  private UnitCapability.Outcome windowed(DatabaseUnit windowed) {
    return windowCapability.reconcile(context(windowed), status());
  }

  @Test
  void withoutMigrationsTheStatusHasNoSchemaVersion() {
    var previous = status().withDatabase(new DatabaseUnitStatus.DatabaseStatus("15.8", Map.of(), "3", 0, 97));
    var outcome = capability.reconcile(context(unit(null)), previous);
    assertThat(outcome.status().database().schemaVersion()).isNull();
    assertThat(outcome.status().database().pendingMigrations()).isNull();
    assertThat(outcome.status().database().serverVersion()).isEqualTo("15.8");
  }

  private UnitContext context() {
    return context(unit);
  }

  private UnitContext context(DatabaseUnit forUnit) {
    DataSource unused = new PGSimpleDataSource();
    var target = new PostgresTarget("db", 5432, "app", "app", "pw", PostgresTls.Mode.DISABLE, null);
    return new UnitContext(forUnit, "ns/app", Optional.of(target), Optional.of(unused), (ns, name) -> Optional.empty(),
        (ns, name) -> Optional.ofNullable(configMaps.get(name)), DesiredObjects.Live.NONE, UnitContext.EndpointSliceLookup.NONE);
  }

  private void configMap(String name, Map<String, String> data) {
    configMaps.put(name, new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace("ns").endMetadata()
        .withData(data).build());
  }

  private static DatabaseUnitStatus status() {
    return new DatabaseUnitStatus(null, List.of(), new DatabaseUnitStatus.DatabaseStatus("15.8", Map.of("vector", "0.8.0"), null, null, 97),
        null, null, null, null, null);
  }

  private static DatabaseUnit unit(String configMaps) {
    return unit(configMaps, "Reconcile");
  }

  private static DatabaseUnit unit(String configMaps, String applyIn) {
    String migrations = configMaps == null ? "" : "  migrations: {configMaps: " + configMaps + ", schema: app, applyIn: " + applyIn + "}\n";
    return Serialization.unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: app, namespace: ns, uid: u1}
        spec:
          postgres:
            external: {host: db, database: app, credentials: {secretName: db}}
        """ + migrations, DatabaseUnit.class);
  }

  private static final class RecordingMigrator implements SchemaMigrator {
    final List<SortedMap<String, MigrationScripts.Script>> calls = new ArrayList<>();
    final List<String> kinds = new ArrayList<>();
    SchemaState answer;
    MigrationFailure failure;

    @Override
    public SchemaState migrate(DataSource dataSource, String schema, SortedMap<String, MigrationScripts.Script> scripts,
        Transactions transactions) throws MigrationFailure {
      return call("migrate " + transactions, scripts);
    }

    @Override
    public SchemaState inspect(DataSource dataSource, String schema, SortedMap<String, MigrationScripts.Script> scripts)
        throws MigrationFailure {
      return call("inspect", scripts);
    }

    private SchemaState call(String kind, SortedMap<String, MigrationScripts.Script> scripts) throws MigrationFailure {
      calls.add(scripts);
      kinds.add(kind);
      if (failure != null) {
        throw failure;
      }
      return answer;
    }
  }
}
